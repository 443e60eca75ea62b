"""A broken batch norm kept on purpose: the statistics are computed under `torch.no_grad()`, as in many tutorials.

Its outputs and running statistics are right; its input gradient is not (autograd treats the mean and the variance
as constants). tests/test_batchnorm.py proves that its checks fail on this version."""
import torch


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    "F.batch_norm's arguments and outputs, with the batch statistics hidden from autograd."
    dims = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        with torch.no_grad():
            mean, var = x.mean(dims), x.var(dims, correction=0)
            if running_mean is not None:
                m = x.numel() // x.shape[1]
                running_mean.mul_(1 - momentum).add_(momentum * mean)
                running_var.mul_(1 - momentum).add_(momentum * var * m / (m - 1))
    else: mean, var = running_mean, running_var
    out = (x - mean.view(shape)) / (var.view(shape) + eps).sqrt()
    if weight is not None: out = out * weight.view(shape)
    if bias is not None: out = out + bias.view(shape)
    return out
