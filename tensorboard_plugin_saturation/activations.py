"""The activation functions the plugin understands: one record each.

An `Activation` holds every per-activation fact the plugin uses: the output
range, which ends saturate and by which rule, the derivative computed from the
output, whether phi is defined, the fixed histogram bins, the largest
derivative and the words the tab shows. The numpy reference
(`numpy_statistics.py`), the TF op (`_tf_statistics.py`), the diagnosis and the
tab (through `to_json()` in the `runs` answer) all read these records; nothing
else holds per-activation constants.

Bins. Edges are dyadic rationals where possible, exactly representable in
float16/32/64, so a value compared with an edge gives the same answer on every
path (numpy, TF, any device). Binning rule, shared by every path: a value v
falls in bin ``i = number of interior edges <= v``, so bin i holds
[edges[i], edges[i+1]), values below the first edge fall in bin 0 and values at
or above the last interior edge fall in the last bin.

Saturation rules. `EPS`: a value is saturated within eps of a saturating end
(y < low + eps, y > high - eps), for smooth activations that only approach
their asymptotes. `EXACT`: a value is saturated at a saturating end
(y <= low, y >= high), for piecewise linear ones whose derivative is exactly 0
there (relu: a dead or "off" unit is an exact zero). Thresholds and bounds are
rounded to the compute dtype (float64 data: float64, else float32) before
comparing, on every path.
"""

import collections
import dataclasses
import typing

import numpy as np

DEFAULT_EPS = 0.01

# Which ends of the range saturate.
LOW, HIGH, BOTH = "low", "high", "both"
# How saturation is decided (see the module docstring).
EPS, EXACT = "eps", "exact"

# Sigmoid and tanh: 32 equal bins, about the resolution of TensorBoard's own
# histograms (30 buckets); saturation itself is measured by the eps thresholds,
# not by bins. 32 bins keep the fused TF op within its budget (4 words of 4-bit
# counters, see _tf_statistics.py). An even count puts the centre of the range
# on an edge, which makes the Rakitianskaia & Engelbrecht measure phi computed
# from bins equal to mean(|rescaled y|) (see numpy_statistics.py).
_BOUNDED_BINS = 32

# ReLU: bin 0 holds exact zeros (everything below float32's smallest normal
# number), bin 1 the tiny positives, then one bin per octave from 2**-12 to
# 2**12, and the last bin everything from 2**11 up.
_RELU_OCTAVES = (-12, 12)
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # 2**-126


@dataclasses.dataclass(frozen=True, eq=False)
class Activation:
    """Every fact about one activation function (hashable by identity).

    Attributes:
      name: the name logged in the metadata and accepted by `get`.
      low, high: the output range [low, high]; high is +inf when unbounded.
      edges: fixed histogram bin edges (see the module docstring).
      saturates: `LOW`, `HIGH` or `BOTH`: the ends where the derivative vanishes.
      rule: `EPS` or `EXACT`: how near a saturating end a value must be.
      max_derivative: the largest f'(x), for "x% of the maximum".
      derivative: f'(x) from the output, `derivative(y, ops)` with y float64
        already clipped to [low, high] (`ops`: `NUMPY_OPS` or the TF twin).
      phi: `phi(y, ops)`, each value's term of Rakitianskaia & Engelbrecht's
        phi (mean over values), or None where undefined (unbounded ranges and
        relu-like units, whose centre means nothing).
      saturated_label: what the tab calls a saturated value ("saturated"; relu "dead").
      low_label, high_label: the tab's words for the low and high share, None
        for an end that does not saturate.
      stuck_label: what a unit saturated in every sample is called.
      description: one line for the tab's legend and the docs.
      initializer: the Keras kernel initializer that suits it (the remedy for
        a bad initialization).
    """

    name: str
    low: float
    high: float
    edges: tuple
    saturates: str
    rule: str
    max_derivative: float
    derivative: typing.Callable
    phi: typing.Optional[typing.Callable]
    saturated_label: str
    low_label: typing.Optional[str]
    high_label: typing.Optional[str]
    stuck_label: str
    description: str
    initializer: str

    @property
    def dead_units(self):
        """True when saturation means a dead unit, an exact zero at the low
        end only (relu): judged by the share of dead units, not of values."""
        return self.saturates == LOW and self.rule == EXACT and self.low == 0

    @property
    def saturates_low(self):
        return self.saturates in (LOW, BOTH)

    @property
    def saturates_high(self):
        return self.saturates in (HIGH, BOTH)

    def saturation_masks(self, x, eps, dtype, ops):
        """(low, high) boolean masks of the saturated values of `x` (compute
        dtype `dtype`); non-finite values are the caller's to mask out."""
        if not self.saturates_low:
            low = ops.false_like(x)
        elif self.rule == EPS:
            low = x < dtype(self.low + eps)
        elif self.low == 0:
            low = ~ops.positive(x)  # by the sign bit: a subnormal is positive
        else:
            low = x <= dtype(self.low)
        if not self.saturates_high:
            high = ops.false_like(x)
        elif self.rule == EPS:
            high = x > dtype(self.high - eps)
        else:
            high = x >= dtype(self.high)
        return low, high

    def range_masks(self, x, dtype, ops):
        """(below, above) masks of the values of `x` outside [low, high],
        compared in `dtype` (below 0: by the sign bit, -0.0 is not below)."""
        below = ops.negative(x) if self.low == 0 else x < dtype(self.low)
        return below, x > dtype(self.high)

    def out_of_range(self, x, dtype, ops):
        """Mask of the values of `x` outside [low, high], compared in `dtype`."""
        below, above = self.range_masks(x, dtype, ops)
        return below | above

    def to_json(self):
        """The facts the tab needs, JSON-ready (high null when unbounded)."""
        return {
            "low": self.low,
            "high": self.high if np.isfinite(self.high) else None,
            "maxDerivative": self.max_derivative,
            "saturates": self.saturates,
            "rule": self.rule,
            "saturatedLabel": self.saturated_label,
            "lowLabel": self.low_label,
            "highLabel": self.high_label,
            "stuckLabel": self.stuck_label,
            "description": self.description,
        }


class _NumpyOps:
    """The few array operations the records' formulas need, for numpy arrays."""

    where = staticmethod(np.where)
    abs = staticmethod(np.abs)

    @staticmethod
    def positive(x):
        return x > 0

    @staticmethod
    def negative(x):
        return x < 0

    @staticmethod
    def false_like(x):
        return np.zeros(np.shape(x), bool)


NUMPY_OPS = _NumpyOps()


def _uniform_edges(low, high, bins):
    return tuple(low + (high - low) * k / bins for k in range(bins + 1))


def _relu_edges():
    first, last = _RELU_OCTAVES
    octaves = tuple(2.0**k for k in range(first, last + 1))
    return (0.0, _FLOAT32_TINY) + octaves


def _centred_distance(low, high):
    """phi's term: |y rescaled from [low, high] to [-1, 1]|."""
    return lambda y, ops: ops.abs(2.0 * (y - low) / (high - low) - 1.0)


def _sigmoid():
    return Activation(
        name="sigmoid", low=0.0, high=1.0, edges=_uniform_edges(0.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EPS, max_derivative=0.25,
        derivative=lambda y, ops: y * (1.0 - y),
        phi=_centred_distance(0.0, 1.0),
        saturated_label="saturated", low_label="near 0", high_label="near 1", stuck_label="stuck",
        description="sigmoid: saturated when y < eps or y > 1 - eps; f'(x) = y(1 - y), at most 0.25",
        initializer="glorot_uniform",
    )


def _tanh():
    return Activation(
        name="tanh", low=-1.0, high=1.0, edges=_uniform_edges(-1.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EPS, max_derivative=1.0,
        derivative=lambda y, ops: 1.0 - y * y,
        phi=_centred_distance(-1.0, 1.0),
        saturated_label="saturated", low_label="near -1", high_label="near 1", stuck_label="stuck",
        description="tanh: saturated when |y| > 1 - eps; f'(x) = 1 - y^2, at most 1",
        initializer="glorot_uniform",
    )


def _relu():
    return Activation(
        name="relu", low=0.0, high=float("inf"), edges=_relu_edges(),
        saturates=LOW, rule=EXACT, max_derivative=1.0,
        derivative=lambda y, ops: ops.where(ops.positive(y), 1.0, 0.0),
        phi=None,
        saturated_label="dead", low_label="zero", high_label=None, stuck_label="dead",
        description="relu: off (dead) when y == 0; f'(x) = 1[y > 0]",
        initializer="he_normal",
    )


ACTIVATIONS = collections.OrderedDict(
    (a.name, a) for a in (_sigmoid(), _tanh(), _relu())
)


def get(name):
    """Returns the `Activation` called `name`.

    Raises:
      TypeError: `name` is not a string.
      ValueError: `name` is not a supported activation.
    """
    if not isinstance(name, str):
        raise TypeError(
            "activation must be a string, one of %s; got %r of type %s"
            % (_supported(), name, type(name).__name__)
        )
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            "activation must be one of %s; got %r" % (_supported(), name)
        ) from None


def is_supported(name):
    """True when `get(name)` returns a record."""
    try:
        get(name)
    except (TypeError, ValueError):
        return False
    return True


def to_json(names=()):
    """{name: facts} for the tab (the `runs` answer): every supported
    activation, plus each of `names` (e.g. the activations a run logged) that
    `get` accepts; others are left out."""
    records = collections.OrderedDict(ACTIVATIONS)
    for name in names:
        if is_supported(name):
            records.setdefault(name, get(name))
    return {name: record.to_json() for name, record in records.items()}


def check_eps(eps):
    """Returns `eps` as a float after checking 0 < eps < 0.5.

    Raises:
      TypeError: `eps` is not a real number.
      ValueError: `eps` is outside (0, 0.5).
    """
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(
            "eps must be a float in (0, 0.5); got %r of type %s"
            % (eps, type(eps).__name__)
        )
    eps = float(eps)
    if not 0.0 < eps < 0.5:
        raise ValueError("eps must be in (0, 0.5); got %r" % eps)
    return eps


def _supported():
    return ", ".join(repr(n) for n in ACTIVATIONS)
