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
import functools
import re
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
      derivative: f'(x) from the output, `derivative(y, low, high, ops)` with
        y float64 already clipped to [low, high] as rounded to the compute
        dtype (`bounds(dtype)`, passed as low and high), and `ops` the array
        operations (`NUMPY_OPS`, or the TF/torch twin).
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
      judged_by_stuck_units: True for relu-like units (relu, relu6,
        relu(max_value=V)), whose exact zero is their normal "off" state:
        about half of a healthy layer's values are zero, so a layer is judged
        by its units saturated in every sample (dead), not by its share of
        saturated values.
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
    judged_by_stuck_units: bool = False

    def bounds(self, dtype):
        """(low, high) rounded to the compute dtype, as Python floats: what
        values are clipped to and what `derivative` gets."""
        return float(dtype(self.low)), float(dtype(self.high))

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


class NumpyOps:
    """The few array operations the records' formulas need, for numpy arrays.

    `positive` and `negative` are plain comparisons with 0: right for any
    library that keeps subnormals and orders -0.0 like 0 (numpy, torch).
    """

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


NUMPY_OPS = NumpyOps()


def _uniform_edges(low, high, bins):
    return tuple(low + (high - low) * k / bins for k in range(bins + 1))


def _octaves(below=float("inf")):
    """2**k for k from -12 to 12, each below `below`."""
    first, last = _RELU_OCTAVES
    return tuple(2.0**k for k in range(first, last + 1) if 2.0**k < below)


def _relu_edges():
    return (0.0, _FLOAT32_TINY) + _octaves()


def _clipped_relu_edges(max_value):
    """relu's bins up to `max_value`, then one bin [max_value, 2 max_value) for
    the values clipped at the maximum."""
    below = min(max_value, float(np.float32(max_value)))  # an edge stays below max in float32 too
    return (0.0, _FLOAT32_TINY) + _octaves(below) + (max_value, 2.0 * max_value)


def _exact_ends_edges(low, high, bins):
    """`bins` equal bins over [low, high], plus a bin for each exact end: [0,
    2**-126) (zeros, as relu) or [-1, -1 + 2**-24) (exactly -1 in float32) at
    the low end, [high, high + width) at the high end."""
    width = (high - low) / bins
    first = _FLOAT32_TINY if low == 0 else low + 2.0**-24 * abs(low)
    inner = _uniform_edges(low, high, bins)
    return (low, first) + inner[1:] + (high + width,)


def _elu_edges(low):
    """16 equal bins over [-P, 0) with P the power of two at or above -low
    (dyadic edges whatever alpha), then [0, 2**-12) and relu's octaves."""
    power = 2.0 ** int(np.ceil(np.log2(-low)))
    return _uniform_edges(-power, 0.0, 16) + _octaves()


def _centred_distance(low, high):
    """phi's term: |y rescaled from [low, high] to [-1, 1]|."""
    return lambda y, ops: ops.abs(2.0 * (y - low) / (high - low) - 1.0)


def _sigmoid():
    return Activation(
        name="sigmoid", low=0.0, high=1.0, edges=_uniform_edges(0.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EPS, max_derivative=0.25,
        derivative=lambda y, low, high, ops: y * (1.0 - y),
        phi=_centred_distance(0.0, 1.0),
        saturated_label="saturated", low_label="near 0", high_label="near 1", stuck_label="stuck",
        description="sigmoid: saturated when y < eps or y > 1 - eps; f'(x) = y(1 - y), at most 0.25",
        initializer="glorot_uniform",
    )


def _tanh():
    return Activation(
        name="tanh", low=-1.0, high=1.0, edges=_uniform_edges(-1.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EPS, max_derivative=1.0,
        derivative=lambda y, low, high, ops: 1.0 - y * y,
        phi=_centred_distance(-1.0, 1.0),
        saturated_label="saturated", low_label="near -1", high_label="near 1", stuck_label="stuck",
        description="tanh: saturated when |y| > 1 - eps; f'(x) = 1 - y^2, at most 1",
        initializer="glorot_uniform",
    )


def _relu():
    return Activation(
        name="relu", low=0.0, high=float("inf"), edges=_relu_edges(),
        saturates=LOW, rule=EXACT, max_derivative=1.0,
        derivative=lambda y, low, high, ops: ops.where(ops.positive(y), 1.0, 0.0),
        phi=None,
        saturated_label="dead", low_label="zero", high_label=None, stuck_label="dead",
        description="relu: off (dead) when y == 0; f'(x) = 1[y > 0]",
        initializer="he_normal", judged_by_stuck_units=True,
    )


def _clipped_relu(max_value, name):
    """relu clipped at `max_value` (relu6: 6): min(max(x, 0), max_value)."""
    top = "%g" % max_value
    return Activation(
        name=name, low=0.0, high=max_value, edges=_clipped_relu_edges(max_value),
        saturates=BOTH, rule=EXACT, max_derivative=1.0,
        derivative=lambda y, low, high, ops: ops.where(ops.positive(y) & (y < high), 1.0, 0.0),
        phi=None,
        saturated_label="saturated", low_label="zero", high_label="at " + top, stuck_label="stuck",
        description="%s: saturated when y == 0 (off) or y == %s (clipped); f'(x) = 1[0 < y < %s]"
        % (name, top, top),
        initializer="he_normal", judged_by_stuck_units=True,
    )


def _hard_sigmoid(slope, name):
    """clip(slope x + 1/2, 0, 1): Keras 3 and PyTorch use slope 1/6 (relu6(x + 3) / 6),
    Keras 2 (tf_keras) 0.2."""
    return Activation(
        name=name, low=0.0, high=1.0, edges=_exact_ends_edges(0.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EXACT, max_derivative=slope,
        derivative=lambda y, low, high, ops: ops.where(ops.positive(y) & (y < high), slope, 0.0),
        phi=_centred_distance(0.0, 1.0),
        saturated_label="saturated", low_label="at 0", high_label="at 1", stuck_label="stuck",
        description="%s: saturated when y == 0 or y == 1; f'(x) = %s for 0 < y < 1, else 0"
        % (name, "1/6" if slope == 1.0 / 6.0 else "%g" % slope),
        initializer="glorot_uniform",
    )


def _hard_tanh():
    return Activation(
        name="hard_tanh", low=-1.0, high=1.0, edges=_exact_ends_edges(-1.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EXACT, max_derivative=1.0,
        derivative=lambda y, low, high, ops: ops.where((y > low) & (y < high), 1.0, 0.0),
        phi=_centred_distance(-1.0, 1.0),
        saturated_label="saturated", low_label="at -1", high_label="at 1", stuck_label="stuck",
        description="hard_tanh: saturated when y == -1 or y == 1; f'(x) = 1[-1 < y < 1]",
        initializer="glorot_uniform",
    )


def _softsign():
    return Activation(
        name="softsign", low=-1.0, high=1.0, edges=_uniform_edges(-1.0, 1.0, _BOUNDED_BINS),
        saturates=BOTH, rule=EPS, max_derivative=1.0,
        derivative=lambda y, low, high, ops: (1.0 - ops.abs(y)) * (1.0 - ops.abs(y)),
        phi=_centred_distance(-1.0, 1.0),
        saturated_label="saturated", low_label="near -1", high_label="near 1", stuck_label="stuck",
        description="softsign: saturated when |y| > 1 - eps; f'(x) = (1 - |y|)^2, at most 1",
        initializer="glorot_uniform",
    )


def _elu(alpha, name):
    """x for x > 0, alpha (exp(x) - 1) below: saturates towards -alpha; for
    y <= 0, f'(x) = alpha exp(x) = y + alpha."""
    return Activation(
        name=name, low=-alpha, high=float("inf"), edges=_elu_edges(-alpha),
        saturates=LOW, rule=EPS, max_derivative=max(1.0, alpha),
        derivative=lambda y, low, high, ops: ops.where(ops.positive(y), 1.0, y - low),
        phi=None,
        saturated_label="saturated", low_label="near %g" % -alpha, high_label=None, stuck_label="stuck",
        description="%s: saturated when y < %g + eps; f'(x) = 1 for y > 0, y + %g below"
        % (name, -alpha, alpha),
        initializer="he_normal",
    )


# SELU (Klambauer et al. 2017): scale x for x > 0, scale alpha (exp(x) - 1) below.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
# Its low end -scale * alpha, one float64 ulp lower: TF's float64 selu reaches that.
_SELU_LOW = float(np.nextafter(-SELU_SCALE * SELU_ALPHA, -np.inf))


def _selu():
    return Activation(
        name="selu", low=_SELU_LOW, high=float("inf"), edges=_elu_edges(_SELU_LOW),
        saturates=LOW, rule=EPS, max_derivative=SELU_SCALE * SELU_ALPHA,
        derivative=lambda y, low, high, ops: ops.where(ops.positive(y), SELU_SCALE, y - low),
        phi=None,
        saturated_label="saturated", low_label="near -1.758", high_label=None, stuck_label="stuck",
        description="selu: saturated when y < -1.758 + eps; f'(x) = 1.0507 for y > 0, y + 1.758 below "
        "(at most 1.758, just below 0)",
        initializer="lecun_normal",
    )


ACTIVATIONS = collections.OrderedDict(
    (a.name, a)
    for a in (
        _sigmoid(), _tanh(), _relu(), _hard_sigmoid(1.0 / 6.0, "hard_sigmoid"), _clipped_relu(6.0, "relu6"),
        _softsign(), _elu(1.0, "elu"), _selu(), _hard_tanh(),
    )
)

# Parametrised activations: "family(parameter=value)", e.g. "relu(max_value=0.5)"
# for keras.layers.ReLU(max_value=0.5). A value equal to a named record's gives
# that record ("relu(max_value=6)" is "relu6").
_FAMILIES = {
    "relu": ("max_value", _clipped_relu, {6.0: "relu6"}, 2.0**-24),
    "elu": ("alpha", _elu, {1.0: "elu"}, 0.0),
    "hard_sigmoid": ("slope", _hard_sigmoid, {1.0 / 6.0: "hard_sigmoid"}, 0.0),
}
_PARAMETRISED = re.compile(r"^(\w+)\((\w+)=([^()]*)\)$")


def parametrised(family, value):
    """The canonical name of `family` with its one parameter at `value`:
    parametrised("relu", 0.5) is "relu(max_value=0.5)", parametrised("relu", 6)
    is "relu6", parametrised("elu", 0.3) "elu(alpha=0.3)",
    parametrised("hard_sigmoid", 0.2) "hard_sigmoid(slope=0.2)".

    Raises:
      ValueError: no such family, or `value` is not a finite number above the
        family's minimum.
    """
    if family not in _FAMILIES:
        raise ValueError(
            "parametrised activation family must be one of %s; got %r" % (sorted(_FAMILIES), family)
        )
    parameter, _, named, minimum = _FAMILIES[family]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not (np.isfinite(number) and number > minimum):
        raise ValueError(
            "%s of %s must be a finite number > %g; got %r" % (parameter, family, minimum, value)
        )
    return named.get(number, "%s(%s=%r)" % (family, parameter, number))


@functools.lru_cache(maxsize=256)
def _parametrised_record(name):
    """The record of a canonical parametrised name (one object per name)."""
    family, _, value = _PARAMETRISED.match(name).groups()
    return _FAMILIES[family][1](float(value), name)


def _lookup(name):
    if name in ACTIVATIONS:
        return ACTIVATIONS[name]
    match = _PARAMETRISED.match(name)
    if not match or match.group(1) not in _FAMILIES or match.group(2) != _FAMILIES[match.group(1)][0]:
        return None
    try:
        canonical = parametrised(match.group(1), match.group(3))
    except ValueError:
        return None
    return ACTIVATIONS.get(canonical) or _parametrised_record(canonical)


def get(name):
    """Returns the `Activation` called `name` (a name of `ACTIVATIONS`, or a
    parametrised one such as "relu(max_value=0.5)", see `parametrised`).

    Raises:
      TypeError: `name` is not a string.
      ValueError: `name` is not a supported activation.
    """
    if not isinstance(name, str):
        raise TypeError(
            "activation must be a string, one of %s; got %r of type %s"
            % (_supported(), name, type(name).__name__)
        )
    record = _lookup(name)
    if record is None:
        raise ValueError("activation must be one of %s; got %r" % (_supported(), name))
    return record


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


# -- Keras (and TF, JAX) activations -> records ---------------------------------

# Activation functions by name, from these libraries only (a user's own function
# called "relu" is not recognised).
_FUNCTION_RECORDS = {
    "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "relu6": "relu6", "elu": "elu",
    "selu": "selu", "softsign": "softsign", "soft_sign": "softsign",  # jax.nn.soft_sign
    "hard_sigmoid": "hard_sigmoid", "hard_tanh": "hard_tanh",
}
_FUNCTION_LIBRARIES = ("keras", "tf_keras", "tensorflow", "jax")
# Keras 2 (tf_keras, standalone Keras 2) defines hard_sigmoid as clip(0.2 x + 0.5, 0, 1);
# Keras 3, JAX and PyTorch as relu6(x + 3) / 6 (slope 1/6).
_KERAS_2_MODULES = {
    "%s.%s" % (package, module)
    for package in ("tf_keras", "tf_keras.src", "keras", "keras.src")
    for module in ("activations", "backend")
}
_KERAS_2_HARD_SIGMOID = "hard_sigmoid(slope=0.2)"


def keras_name(activation):
    """The record name of a Keras activation, or None if there is none.

    `activation` is an activation function (`keras.activations.*`,
    `keras.ops.*`, `tf.nn.*`, `jax.nn.*`, tf_keras' own; also a
    `functools.partial` of relu with `max_value` or of elu with `alpha`) or an
    activation layer of Keras 3 or tf_keras: `ReLU(max_value=...)` (plain:
    "relu"; max_value 6: "relu6"; else "relu(max_value=V)"; a negative_slope
    or threshold: None), `ELU(alpha=...)`, `Activation(...)`. Layers that
    merely have an `activation=` (Dense, Conv...) are the caller's to unwrap:
    pass `layer.activation`. Keras is not imported.
    """
    kind = type(activation).__name__
    if kind == "ReLU" and hasattr(activation, "max_value"):
        return _relu_name(activation.max_value, getattr(activation, "negative_slope", 0.0),
                          getattr(activation, "threshold", 0.0))
    if kind == "ELU" and hasattr(activation, "alpha"):
        return _parametrised_or_none("elu", activation.alpha)
    if kind == "Activation" and hasattr(activation, "activation"):
        return keras_name(activation.activation)
    if isinstance(activation, functools.partial):
        return _partial_name(activation)
    module = getattr(activation, "__module__", None) or ""
    name = getattr(activation, "__name__", None)
    if module.split(".")[0] not in _FUNCTION_LIBRARIES or name not in _FUNCTION_RECORDS:
        return None
    if name == "hard_sigmoid" and module in _KERAS_2_MODULES:
        return _KERAS_2_HARD_SIGMOID
    return _FUNCTION_RECORDS[name]


def _relu_name(max_value, negative_slope=0.0, threshold=0.0):
    try:
        leaky = float(negative_slope) != 0.0 or float(threshold) != 0.0
    except (TypeError, ValueError):
        return None
    if leaky:
        return None
    return "relu" if max_value is None else _parametrised_or_none("relu", max_value)


def _parametrised_or_none(family, value):
    try:
        return parametrised(family, float(value))
    except (TypeError, ValueError):
        return None


def _partial_name(partial):
    base = keras_name(partial.func)
    if partial.args:
        return None
    keywords = dict(partial.keywords)
    if base == "relu":
        slope = keywords.pop("negative_slope", keywords.pop("alpha", 0.0))
        name = _relu_name(keywords.pop("max_value", None), slope, keywords.pop("threshold", 0.0))
    elif base == "elu":
        name = _parametrised_or_none("elu", keywords.pop("alpha", 1.0))
    else:
        name = base
    return None if keywords else name


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
    forms = ["%s(%s=V)" % (family, spec[0]) for family, spec in _FAMILIES.items()]
    return ", ".join(repr(n) for n in list(ACTIVATIONS) + forms)
