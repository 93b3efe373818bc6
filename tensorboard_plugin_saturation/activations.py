"""The activation functions the plugin understands, and their fixed histogram bins.

Each activation has an output range, a saturation rule and fixed bin edges. All
edges are dyadic rationals, exactly representable in float16/32/64, so a float32
value compared with an edge gives the same answer on every path (numpy, TF, any
device). Binning rule, shared by every path: a value v falls in bin
``i = number of interior edges <= v``, so bin i holds [edges[i], edges[i+1]),
values below the first edge fall in bin 0 and values at or above the last
interior edge fall in the last bin.
"""

import collections

import numpy as np

# Sigmoid and tanh: 32 equal bins, about the resolution of TensorBoard's own
# histograms (30 buckets); saturation itself is measured by the eps thresholds,
# not by bins. 32 bins keep the fused TF op within its budget (4 words of 4-bit
# counters, see _tf_statistics.py). An even count puts the centre of the range
# on an edge, which makes the Rakitianskaia & Engelbrecht measure phi computed
# from bins equal to mean(|rescaled y|) (see numpy_statistics.py).
_BOUNDED_BINS = 32

# ReLU: bin 0 holds exact zeros (everything below float32's smallest normal
# number), bin 1 the tiny positives, then one bin per octave from 2**-12 to
# 2**12, and the last bin everything from 2**12 up.
_RELU_OCTAVES = (-12, 12)

Activation = collections.namedtuple(
    "Activation", ["name", "low", "high", "edges", "description"]
)
Activation.__doc__ = """An activation's output range [low, high] and bin edges.

`low`/`high` are the asymptotes (high is +inf for relu). A value is saturated
when it is within eps of an asymptote; for relu, when it is exactly zero.
"""


def _uniform_edges(low, high, bins):
    return tuple(low + (high - low) * k / bins for k in range(bins + 1))


def _relu_edges():
    first, last = _RELU_OCTAVES
    octaves = tuple(2.0**k for k in range(first, last + 1))
    return (0.0, float(np.finfo(np.float32).tiny)) + octaves


ACTIVATIONS = collections.OrderedDict(
    (a.name, a)
    for a in (
        Activation(
            "sigmoid", 0.0, 1.0, _uniform_edges(0.0, 1.0, _BOUNDED_BINS),
            "saturated: y < eps or y > 1 - eps; f'(x) = y(1 - y)",
        ),
        Activation(
            "tanh", -1.0, 1.0, _uniform_edges(-1.0, 1.0, _BOUNDED_BINS),
            "saturated: |y| > 1 - eps; f'(x) = 1 - y^2",
        ),
        Activation(
            "relu", 0.0, float("inf"), _relu_edges(),
            "saturated (off): y == 0; f'(x) = 1[y > 0]",
        ),
    )
)

DEFAULT_EPS = 0.01


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
