"""The losses every model family trains with: L1 (or squared error), Zhang's rebalanced
cross-entropy, the diversity-sensitive loss, the feature (perceptual) loss and the PatchGAN's."""

import torch
import torch.nn.functional as F

from hfcolor import quantize
from hfcolor.models.encoders import load_pretrained_encoder


def pixel_loss(pred, target, typical, cfg):
    """L1 (or cfg.pixel_loss "mse": 5 x squared error) weighted l1_weight on the first `typical`
    photos, sample_l1_weight on the rest."""
    error = pred.float() - target
    per_pixel = 5 * error.square() if cfg.pixel_loss == "mse" else error.abs()
    per_photo = per_pixel.mean((1, 2, 3))
    sample_weight = cfg.l1_weight if cfg.sample_l1_weight is None else cfg.sample_l1_weight
    weights = torch.full_like(per_photo, sample_weight)
    weights[:typical] = cfg.l1_weight
    return (weights * per_photo).mean()


def rebalanced_ce(logits, ab_lab, weights):
    """Zhang et al.: soft-encoded cross-entropy, each pixel weighted by its nearest bin's weight."""
    ab_small = F.adaptive_avg_pool2d(ab_lab, logits.shape[-2:])
    target = quantize.soft_encode(ab_small)
    pixel_weight = weights[target.argmax(1)]
    ce = -(target * F.log_softmax(logits.float(), dim=1)).sum(1)
    return (ce * pixel_weight).mean()


def diversity_loss(model, features, noise, ab, count, tau, gen):
    """Diversity-sensitive loss (Yang et al. 2019): reward ab that moves with the noise."""
    features = [f[:count] for f in features]
    noise2 = torch.randn(noise[:count].shape, generator=gen).to(noise)
    ab2 = model.decode(features, noise2)["ab"]
    ratio = (ab[:count] - ab2).abs().mean() / (noise[:count] - noise2).abs().mean()
    return -torch.clamp(ratio, max=tau)


class FeatureLoss(torch.nn.Module):
    """Mean L1 between a frozen ImageNet RGB encoder's features of two photos, stage by stage.

    Both photos share the lightness, so only colour differences move it; the encoder knows the
    1000 ImageNet classes, the training photos only a few of them."""

    def __init__(self, backbone: str = "tf_efficientnet_lite0", stages=(1, 2, 3)):
        super().__init__()
        import timm

        self.net = timm.create_model(backbone, features_only=True, out_indices=stages)
        load_pretrained_encoder(self.net, backbone)
        self.net.eval().requires_grad_(False)

    def train(self, mode: bool = True):
        return super().train(False)  # BatchNorm keeps its ImageNet statistics

    def forward(self, rgb: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            wanted = self.net(target * 2 - 1)  # EfficientNet-Lite: mean = std = 0.5
        got = self.net(rgb * 2 - 1)
        return sum((g.float() - w.float()).abs().mean() for g, w in zip(got, wanted, strict=True)
                   ) / len(got)


def discriminator_loss(d_model, l, ab_fake, ab_real):
    bce = F.binary_cross_entropy_with_logits
    fake_logits = d_model(l, ab_fake.detach())
    real_logits = d_model(l, ab_real)
    d_loss = 0.5 * (bce(fake_logits, torch.zeros_like(fake_logits))
                    + bce(real_logits, torch.ones_like(real_logits)))
    return d_loss


def generator_gan_loss(d_model, l, ab_fake):
    logits = d_model(l, ab_fake)
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
