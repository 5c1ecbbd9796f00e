"""Validation during training: each head's metrics on the first photos of --val_data, and a
(grey | model | original) grid to look at."""

import torch
import torch.nn.functional as F
from training_data import UNREADABLE, load_square, warn_unreadable

from hfcolor import quantize
from hfcolor.color import AB_SCALE, grey_to_rgb, lab_to_rgb, normalize_l, rgb_to_lab
from hfcolor.io import find_images


def load_val_images(folder: str | None, count: int, size: int = 224) -> torch.Tensor:
    """The first `count` photos of `folder` (None: no validation), as uint8 squares."""
    if folder is None or count == 0:
        return torch.zeros(0, 3, size, size, dtype=torch.uint8)
    images = []
    for path in find_images([folder]):
        try:
            images.append(load_square(str(path), size))
        except UNREADABLE as error:
            warn_unreadable(str(path), error)
        if len(images) == count:
            break
    if not images:
        raise SystemExit(f"no readable photos under --val_data={folder}; give a folder of "
                         "validation photos, or --val_data=none to train without validation")
    return torch.stack(images)


@torch.inference_mode()
def validate(model, images: torch.Tensor, device) -> tuple[dict, torch.Tensor]:
    """Metrics of each head on the validation photos, and a (grey | model | original) grid."""
    from hfcolor.metrics import image_metrics, mean_metrics

    model.eval()
    rgb = images.float().to(device) / 255
    lab = rgb_to_lab(rgb)
    out = model(normalize_l(lab[:, :1]))
    results, preds = {}, {}
    if "ab" in out:
        preds["reg"] = out["ab"].float() * AB_SCALE
    if "logits" in out:
        ab = quantize.decode(out["logits"].float(), method="annealed_mean", temperature=0.38)
        preds["cls"] = F.interpolate(ab, size=lab.shape[-2:], mode="bilinear", align_corners=False)
    targets = _to_uint8(rgb)
    for name, ab in preds.items():
        colour = _to_uint8(lab_to_rgb(torch.cat([lab[:, :1], ab], 1)))
        scores = mean_metrics([image_metrics(p, t) for p, t in zip(colour, targets, strict=True)])
        results.update({f"{name}_{k}": v for k, v in scores.items()})
        preds[name] = colour
    grey = _to_uint8(grey_to_rgb(lab[:, :1]))
    rows = [grey] + list(preds.values()) + [targets]
    grid = torch.cat([torch.cat(list(torch.from_numpy(r[:8]).unbind()), 1) for r in rows], 0)
    return results, grid


def _to_uint8(rgb: torch.Tensor):
    return (rgb.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
