"""Model families, each in its own file, created by name through the registry."""

from hfcolor.models import eccv16, patchgan, unet  # noqa: F401  (registers the models)
from hfcolor.models.registry import create_model, list_models, model_class, register_model

__all__ = ["create_model", "list_models", "model_class", "register_model"]
