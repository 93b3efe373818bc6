"""The saturation statistics of `numpy_statistics.py`, with torch ops on the data's device.

`compute` returns the same `Statistics` as `numpy_statistics.compute`: the
counts, bins, stuck units and per-unit shares exactly, the moments to float64
rounding (sums taken in another order). Everything data-sized stays on the
device; the host receives one float64 vector of the layer's fields and bin
counts and two integer vectors of per-unit counts, which `quantize_units`
(the numpy reference's) turns into bytes. `compute_on_device` returns those
device tensors without copying them, so a caller can stack many layers into
one transfer. When every value is finite (one scalar read), the masking
passes are skipped.
"""

import numpy as np
import torch

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import numpy_statistics

def validate(data):
    """Returns `data` as a tensor after checking its dtype and shape.

    Raises:
      TypeError: not a tensor of real numbers.
      ValueError: rank 0 or no units.
    """
    if not isinstance(data, torch.Tensor):
        raise TypeError(
            "saturation data must be a torch.Tensor; got %s" % type(data).__name__
        )
    if data.is_complex() or data.dtype == torch.bool:
        raise TypeError(
            "saturation data must be real numbers (a float or integer tensor); "
            "got dtype %s" % data.dtype
        )
    numpy_statistics.check_shape(tuple(data.shape))
    return data


def compute_dtype(dtype):
    """The dtype statistics of `dtype` data are computed in (as numpy_statistics)."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def compute_on_device(data, activation, eps):
    """The statistics of `data` as device tensors.

    Args:
      data: Activations, a tensor of rank >= 1 whose last axis is units.
      activation: An `activations.Activation`.
      eps: The saturation threshold, checked.

    Returns:
      (layer, unit_saturated, unit_finite): float64 [len(STATS_FIELDS) + bins],
      int64 [units], int64 [units], on `data`'s device.
    """
    data = validate(data)
    dtype = compute_dtype(data.dtype)
    units = data.shape[-1]
    x = data.detach().to(dtype).reshape(-1, units)
    device = x.device

    def const(value):
        return torch.tensor(value, dtype=dtype, device=device)

    finite = torch.isfinite(x)
    zero = torch.zeros((), dtype=torch.float64, device=device)
    if bool(finite.all()):  # the common case: no masking passes (one scalar read)
        only_finite = lambda t, empty=None: t
        finite_or_none = None
    else:
        only_finite = lambda t, empty=zero: torch.where(finite, t, empty)
        finite_or_none = finite
    low, high = activation.saturation_masks(x, eps, const, TORCH_OPS)
    if finite_or_none is not None:
        low, high = low & finite, high & finite
    unit_finite = finite.sum(dim=0)
    unit_saturated = (low | high).sum(dim=0)

    bins = len(activation.edges) - 1
    index = bin_index(only_finite(x, const(0.0)), activation.edges, dtype)
    index = only_finite(index, torch.full_like(index, bins))  # non-finite: a dropped bin
    histogram = torch.bincount(index.reshape(-1), minlength=bins + 1)[:bins]

    n = unit_finite.sum().to(torch.float64)
    wide = only_finite(x.to(torch.float64))
    clipped = only_finite(torch.clamp(x, *activation.bounds(const)).to(torch.float64))
    mean = wide.sum() / n
    centred = only_finite(wide - mean)
    out_of_range = activation.out_of_range(x, const, TORCH_OPS)
    if finite_or_none is not None:
        out_of_range &= finite
    fields = {
        "count": torch.tensor(float(x.numel()), dtype=torch.float64, device=device),
        "nonfinite": x.numel() - n,
        "saturatedLow": low.sum().to(torch.float64) / n,
        "saturatedHigh": high.sum().to(torch.float64) / n,
        "stuckUnits": ((unit_finite > 0) & (unit_saturated == unit_finite)).sum().to(torch.float64),
        "meanDerivative": only_finite(activation.derivative(clipped, *activation.bounds(const), TORCH_OPS)).sum() / n,
        "phi": _phi(clipped, only_finite, n, activation, zero),
        "mean": mean,
        "std": torch.sqrt((centred * centred).sum() / n),
        "outOfRange": out_of_range.sum().to(torch.float64) / n,
    }
    layer = torch.cat(
        [torch.stack([fields[name] for name in metadata.STATS_FIELDS]), histogram.to(torch.float64)]
    )
    return layer, unit_saturated, unit_finite


def bin_index(x, edges, dtype):
    """The bin of each finite value: the number of interior edges <= v (the shared binning rule).

    `torch.searchsorted` is slow on the CPU (a binary search per value), so the
    index is first estimated with arithmetic, linear for equal bins and from the
    binary exponent for octave bins, then moved by one bin where a comparison
    with the exact edges (rounded to `dtype`, as every path compares) says so.
    The estimate is off by at most one bin (rounding of a product or of log2),
    so the result equals the search exactly; other edges use the search.
    """
    bins = len(edges) - 1
    table = torch.tensor(edges, dtype=dtype, device=x.device)
    estimate = _estimate(x, edges, bins)
    if estimate is None:
        return torch.searchsorted(table[1:-1], x.contiguous(), right=True)
    index = estimate.clamp_(0, bins - 1)
    lower = torch.cat([table.new_full((1,), -float("inf")), table[1:-1], table.new_full((1,), float("inf"))])
    index -= (x < lower[index]).to(index.dtype)
    index += (x >= lower[index + 1]).to(index.dtype)
    return index


def _estimate(x, edges, bins):
    """An index off by at most one bin, or None for edges of no known shape."""
    steps = {edges[k + 1] - edges[k] for k in range(bins)}
    if len(steps) == 1:  # equal bins
        return ((x.to(torch.float64) - edges[0]) * (bins / (edges[-1] - edges[0]))).floor_().to(torch.int64)
    octaves = edges[2:]
    if edges[0] == 0.0 and all(b == 2.0 * a for a, b in zip(octaves, octaves[1:])):
        # [0, tiny), [tiny, 2^k0), then [2^k, 2^(k+1)): index 2 + log2(v) - k0 for v >= 2^k0
        _, exponent = torch.frexp(x.to(torch.float64).clamp(min=edges[1]))  # v = m 2^e, m in [0.5, 1)
        first = int(np.log2(octaves[0]))
        return (exponent.to(torch.int64) - 1 - first + 2).clamp_(min=1)
    return None


def compute(data, activation="sigmoid", eps=activations_lib.DEFAULT_EPS):
    """As `numpy_statistics.compute`, for a torch tensor on any device."""
    act = activations_lib.get(activation) if isinstance(activation, str) else activation
    eps = activations_lib.check_eps(eps)
    layer, unit_saturated, unit_finite = compute_on_device(data, act, eps)
    return to_host(layer, unit_saturated, unit_finite)


def to_host(layer, unit_saturated, unit_finite):
    """The `numpy_statistics.Statistics` of `compute_on_device`'s tensors."""
    return numpy_statistics.Statistics(
        layer=layer.cpu().numpy(),
        units=numpy_statistics.quantize_units(unit_saturated.cpu().numpy(), unit_finite.cpu().numpy()),
    )


def _phi(y, only_finite, n, activation, zero):
    """The mean of the record's phi terms over the finite values; NaN where it has none."""
    if activation.phi is None:
        return torch.full_like(zero, float("nan"))
    return only_finite(activation.phi(y, TORCH_OPS)).sum() / n


class _TorchOps(activations_lib.NumpyOps):
    """`activations.NUMPY_OPS` for torch tensors: the records' formulas run on both.

    The comparisons with 0 are numpy's: torch, like numpy, keeps subnormals
    (no flush to zero) and -0.0 < 0 is false.
    """

    abs = staticmethod(torch.abs)

    @staticmethod
    def where(condition, a, b):
        """Float64 select (the formulas' constants are Python floats)."""
        as64 = lambda v: torch.as_tensor(v, dtype=torch.float64, device=condition.device)
        return torch.where(condition, as64(a), as64(b))

    @staticmethod
    def false_like(x):
        return torch.zeros_like(x, dtype=torch.bool)


TORCH_OPS = _TorchOps()
