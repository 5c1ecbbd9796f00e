"""The models a run trains: built fresh, fine-tuned from a saved one (its encoder optionally
back at ImageNet weights, or grown with new layers) or resumed; the moving average, the
PatchGAN, the optimizer's parameter groups and which parts train."""

import contextlib
import json
from pathlib import Path

import torch
from checkpoints import recover_checkpoint

from hfcolor.models import create_model
from hfcolor.models.encoders import load_pretrained_context, load_pretrained_encoder


def build_model(cfg, class_names: list[str]):
    if cfg.resume:  # the checkpoint alone: init_from may be gone, its weights are replaced
        model = _saved_model(Path(cfg.out) / "checkpoint", class_names)
    elif cfg.init_from:
        model = _fine_tuned_model(cfg, class_names)
    else:
        kwargs = {**cfg.model_kwargs, **({"class_names": class_names} if class_names else {})}
        with _refused_model_kwargs(cfg.model, cfg):
            model = create_model(cfg.model, **kwargs)
        encoder = getattr(model, "encoder", None)
        if encoder is not None and (cfg.pretrained or cfg.encoder_weights):
            load_pretrained_encoder(encoder, model._hub_mixin_config["backbone"],
                                    cfg.encoder_weights)
            _load_pretrained_context(model, cfg.encoder_weights)
    if cfg.freeze_encoder:
        freeze_encoder(model)
    return model


def _fine_tuned_model(cfg, class_names: list[str]):
    """The model saved in cfg.init_from, its encoder optionally back at ImageNet weights."""
    model = _saved_model(cfg.init_from, class_names)
    if cfg.model_kwargs:
        model = grown_model(model, cfg)
        model.train()
    if cfg.reset_encoder:
        # Fine-tuning on a few classes wears away what the encoder knew of the others.
        stem = _stem_weight(model.encoder)
        hint_filters = stem.detach()[:, 1:].clone()
        load_pretrained_encoder(model.encoder, model._hub_mixin_config["backbone"],
                                cfg.encoder_weights)
        _load_pretrained_context(model, cfg.encoder_weights)
        with torch.no_grad():
            stem[:, 1:] = hint_filters
    return model


def _saved_model(folder, class_names: list[str]):
    """A saved model in training mode, checked against the data's class folders."""
    from hfcolor.loading import from_pretrained

    model = from_pretrained(folder)
    model.train()
    if getattr(model, "class_names", []) != class_names:
        raise SystemExit(f"{folder} has classes {getattr(model, 'class_names', [])} "
                         f"but the data has {class_names}; fine-tune with the same class "
                         "folders (or without --labels), or train from the encoder weights")
    return model


def grown_model(saved, cfg):
    """The saved model rebuilt with new constructor options (e.g. global_context): its weights
    fill every layer they have; the new layers start fresh (a GlobalContext's head from the
    ImageNet weights unless --pretrained=false, its projection at zero)."""
    with _refused_model_kwargs(cfg.init_from, cfg):
        model = type(saved)(**{**saved._hub_mixin_config, **cfg.model_kwargs})
    old, grown = saved.state_dict(), model.state_dict()
    new_layers = set(grown) - set(old)
    dropped = sorted(set(old) - set(grown))
    reshaped = sorted(k for k in old if k in grown and old[k].shape != grown[k].shape)
    if dropped or reshaped:
        raise SystemExit(f"{cfg.init_from}'s weights do not fit --model_kwargs={cfg.model_kwargs}: "
                         f"dropped {dropped[:3]}, reshaped {reshaped[:3]}. "
                         "New options may add layers, not remove or reshape them.")
    model.load_state_dict(old, strict=False)
    if any(k.startswith("context.") for k in new_layers) and (cfg.pretrained or
                                                              cfg.encoder_weights):
        _load_pretrained_context(model, cfg.encoder_weights)
    return model


@contextlib.contextmanager
def _refused_model_kwargs(name: str, cfg):
    """A model constructor's complaint about --model_kwargs, as one line."""
    try:
        yield
    except (TypeError, ValueError, RuntimeError, IndexError) as error:
        raise SystemExit(f"{name} cannot be built with "
                         f"--model_kwargs={json.dumps(cfg.model_kwargs)}: {error}") from None


def _load_pretrained_context(model, weights: str | None) -> None:
    """A GlobalContext's head, when the model has one, from the same ImageNet weights."""
    if getattr(model, "context", None) is not None:
        load_pretrained_context(model.context, model._hub_mixin_config["backbone"], weights)


def build_ema(model, cfg, folder: Path):
    """The moving average of the weights, resumed from `folder` when it holds one."""
    if not cfg.ema_decay:
        return None
    from timm.utils import ModelEmaV3

    ema = ModelEmaV3(model, decay=cfg.ema_decay)
    recover_checkpoint(folder.parent, folder.name)
    saved = folder / "model.safetensors"
    if cfg.resume and saved.exists():
        import safetensors.torch

        safetensors.torch.load_model(ema.module, str(saved), strict=True)
    return ema


def build_discriminator(cfg):
    """The PatchGAN, starting from the one saved beside `init_from` when there is one."""
    if not cfg.gan_weight:
        return None
    d_model = create_model(cfg.discriminator)
    saved = Path(cfg.init_from or "", "discriminator", "model.safetensors")
    if cfg.init_from and saved.exists():
        import safetensors.torch

        safetensors.torch.load_model(d_model, str(saved), strict=True)
    return d_model


def set_train_mode(model, cfg) -> None:
    """Training mode, except a frozen or slow encoder, whose BatchNorm keeps its statistics."""
    model.train()
    if cfg.freeze_encoder or cfg.encoder_lr_scale < 1:
        for part in _encoder_parts(model):
            part.eval()


def param_groups(model, cfg) -> list[dict]:
    """One group at lr, or with encoder_lr_scale the encoder blocks in a second, slower one."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    if cfg.encoder_lr_scale == 1 or cfg.freeze_encoder:
        return [{"params": trainable}]
    if not hasattr(model, "encoder"):
        raise SystemExit(f"--encoder_lr_scale needs a model with an encoder; {cfg.model} has none")
    stem = _stem_weight(model.encoder)
    slow = {id(p) for part in _encoder_parts(model) for p in part.parameters() if p is not stem}
    return [{"params": [p for p in trainable if id(p) not in slow]},
            {"params": [p for p in trainable if id(p) in slow],
             "lr": cfg.lr * cfg.encoder_lr_scale}]


def _stem_weight(encoder: torch.nn.Module) -> torch.nn.Parameter:
    """The first convolution's weight: the one that sees the hint channels."""
    return next(p for p in encoder.parameters() if p.ndim == 4)


def _encoder_parts(model) -> list[torch.nn.Module]:
    """The pretrained ImageNet modules: the encoder, and the head of a GlobalContext."""
    context = getattr(model, "context", None)
    return [model.encoder] + ([context.head] if context is not None else [])


def freeze_encoder(model) -> None:
    """Fix every pretrained weight but the stem convolution's, which takes the hint channels."""
    stem = _stem_weight(model.encoder)
    for part in _encoder_parts(model):
        for p in part.parameters():
            p.requires_grad_(p is stem)
