"""ab from the network's resolution to the photo's, a band of rows at a time.

The network sees the photo at render size, so its colours must be upsampled before they meet the
photo's own full-resolution lightness. Plain bilinear upsampling lets colour run a few pixels
past an edge (green onto a white cap). `guided_coefficients` fits He et al.'s guided filter at
render size, with the render-size lightness as guide (ab ~ slope * L + offset in each window);
upsampling slope and offset instead of ab and applying them to the full-resolution lightness
(the "fast guided filter") makes colour edges follow the photo's own edges.
"""

import kornia.filters
import torch
import torch.nn.functional as F

GUIDE_RADIUS = 2  # box radius in render-size pixels; 0 gives plain bilinear upsampling
GUIDE_EPS = 1e-3  # regularisation on (L / 100)^2: larger keeps more of the network's own ab


def guided_coefficients(ab: torch.Tensor, lightness: torch.Tensor, radius: int = GUIDE_RADIUS,
                        eps: float = GUIDE_EPS) -> torch.Tensor:
    """ab (n, 2, h, w) and lightness (1, 1, h, w) in L units -> (n, 4, h, w): slope and offset
    for a and b, so that ab = slope * L / 100 + offset. Radius 0 gives slope 0, offset ab."""
    if radius == 0:
        return torch.cat([torch.zeros_like(ab), ab], dim=1)
    guide = lightness / 100
    size = (2 * radius + 1,) * 2
    box = lambda x: kornia.filters.box_blur(x, size, border_type="replicate")  # noqa: E731
    mean_guide, mean_ab = box(guide), box(ab)
    variance = box(guide * guide) - mean_guide**2
    slope = (box(guide * ab) - mean_guide * mean_ab) / (variance + eps)
    return torch.cat([box(slope), box(mean_ab - slope * mean_guide)], dim=1)


def apply_coefficients(coefficients: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
    """Upsampled (n, 4, h, w) coefficients and full-resolution lightness (1, 1, h, w) -> ab."""
    return coefficients[:, :2] * (lightness / 100) + coefficients[:, 2:]


def upsample_rows(small: torch.Tensor, top: int, bottom: int, height: int,
                  width: int) -> torch.Tensor:
    """Rows top..bottom of `small` (n, c, h, w) bilinearly upsampled (align_corners=False) to
    height x width, reading only the source rows they need."""
    scale_y = small.shape[-2] / height
    src_top = max(int((top + 0.5) * scale_y - 0.5) - 1, 0)
    src_bottom = min(int((bottom + 0.5) * scale_y - 0.5) + 3, small.shape[-2])
    band = small[..., src_top:src_bottom, :]
    ys = (torch.arange(top, bottom, device=small.device) + 0.5) * scale_y - 0.5
    xs = (torch.arange(width, device=small.device) + 0.5) * (small.shape[-1] / width) - 0.5
    grid_y = (ys - src_top + 0.5) / band.shape[-2] * 2 - 1
    grid_x = (xs + 0.5) / band.shape[-1] * 2 - 1
    grid = torch.stack(torch.meshgrid(grid_y, grid_x, indexing="ij")[::-1], dim=-1)
    grid = grid[None].expand(len(small), -1, -1, -1)
    return F.grid_sample(band, grid, mode="bilinear", padding_mode="border", align_corners=False)
