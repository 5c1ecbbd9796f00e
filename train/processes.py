"""Keeping several training processes in step (HF Accelerate): averaged gradients and
BatchNorm statistics, and what every process must agree on. Each is a no-op on one process."""

import torch


def average_gradients(accelerator, module):
    """Mean of every gradient over the processes, in one all-reduce (a no-op on one process)."""
    _average(accelerator, [p.grad for p in module.parameters() if p.grad is not None])


def average_bn_statistics(accelerator, module):
    """Mean of the BatchNorm running statistics over the processes: averaged gradients keep
    the weights identical, but each process's statistics follow its own batches. Layers in
    eval mode (a frozen encoder) kept theirs and are left exactly as they are."""
    _average(accelerator, [stat for m in module.modules()
                           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                           and m.training and m.track_running_stats
                           for stat in (m.running_mean, m.running_var)])


def _average(accelerator, tensors: list[torch.Tensor]) -> None:
    """Replace each tensor by its mean over the processes, in one all-reduce."""
    if accelerator.num_processes == 1 or not tensors:
        return
    flat = accelerator.reduce(torch.cat([t.flatten() for t in tensors]), reduction="mean")
    for tensor, part in zip(tensors, flat.split([t.numel() for t in tensors]), strict=True):
        tensor.copy_(part.view_as(tensor))


def any_process(accelerator, flag: bool) -> bool:
    """Whether `flag` holds on any process (on one process, `flag` itself)."""
    if accelerator.num_processes == 1:
        return flag
    return bool(accelerator.reduce(torch.tensor([float(flag)], device=accelerator.device),
                                   reduction="sum").item())


def every_process(accelerator, tensor: torch.Tensor) -> torch.Tensor:
    """Each process's `tensor`, stacked in process order (on every process)."""
    if accelerator.num_processes == 1:
        return tensor[None]
    return accelerator.gather(tensor[None].to(accelerator.device)).cpu()
