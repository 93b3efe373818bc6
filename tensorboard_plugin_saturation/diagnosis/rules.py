"""The diagnosis rules: which layers have a problem, and its most likely cause.

Pure functions over plain arrays: `find(layers)` takes `LayerSeries` (build
them with `layer_series`) and returns `Finding`s, most important first; no
remedy text and no reading here (see `remedies` and `reading`).
docs/diagnosis.md explains every rule and threshold in plain words.

A layer has a problem when it is flagged at its last logged step; its onset
is the first step at which it was flagged:

| activation   | flagged at a step when                                          |
| ------------ | --------------------------------------------------------------- |
| any          | some activations are NaN or Inf (checked first)                 |
| sigmoid/tanh | saturated share (low + high) >= `SATURATED_SHARE`               |
| relu         | dead units (zero on every probe sample) >= `DEAD_UNITS_SHARE`   |

The cause of a problem whose onset is the layer's first logged step (before
any update):

- relu: `initialization`.
- with the callback's signals, inputs checked before weights (DeepDiagnosis'
  order): `input_scaling` if it is the first layer, its input std is at least
  `INPUT_STD_LARGE` and at least the kernel's multiple of the Glorot std;
  else `initialization` if the kernel std is at least `KERNEL_RATIO_LARGE`
  times the Glorot std; else `unknown`.
- statistics only (or a layer without a kernel): `unknown` if it is the only
  logged layer; `input_scaling` if it is the first layer and no other layer is
  flagged from the start; else `initialization`.
- NaN or Inf: `unknown` (look at the inputs).

A later onset: `learning_rate` (NaN or Inf: divergence), unless the signals
show that the kernel moved less than `UPDATE_RATIO_LARGE` of its norm per
step in every interval up to the onset (`unknown`).

Problems with the same cause and kind form one finding. Findings are sorted
by onset step, then by number of layers (more first), then by the worst
layer's share. The thresholds were calibrated with the default eps 0.01.
"""

import collections
import collections.abc
import math

import numpy as np

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation.diagnosis._format import num
from tensorboard_plugin_saturation.diagnosis._format import pct

# -- Thresholds ---------------------------------------------------------------
# Each comment cites its source: the literature (docs/diagnosis.md), Glorot &
# Bengio 2010, and measurements on the scikit-learn digits with eps 0.01 (the
# README's demo table; docs/diagnosis.md section 4 lists every run).

# A sigmoid/tanh layer is saturated when at least this share of its activations
# is within eps of an asymptote. SageMaker's SaturatedActivation, DeepDiagnosis
# and TheDeepChecker flag a layer at "more than 50%". Measured here: a
# RandomNormal(1.0) initialization saturates the first layer at 49.9-50.3% (the
# others at 57-73%), just under that line, while healthy networks that learned
# to use saturating units reach 15-31% (a 2 x 64 sigmoid MLP after 40 epochs at
# Adam 1e-2: 30.7%, 97% accuracy; they must not be flagged). 0.4 leaves about
# 10 points of margin on both sides.
SATURATED_SHARE = 0.4

# A relu layer has a problem when at least this share of its units is dead
# (zero on every probe sample, the canonical definition of CS231n and
# keras-contrib's DeadReluDetector). SageMaker's DeadRelu fires at more than
# 50%. keras-contrib warns at 10%, CS231n calls 40% a problem; both are too
# sensitive: healthy networks measured here had up to 12.5% (3 x 64 MLP) and
# 39% (the Dense layer after GlobalAveragePooling of a small CNN, dead from
# step 0 and 87% accurate). A high learning rate (Adam 0.05) killed 86-99.6%.
DEAD_UNITS_SHARE = 0.5

# The kernel is too large for its layer when its std is at least this multiple
# of the Glorot std sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010, the
# Keras default). Common initializers stay below it on square layers: LeCun
# normal is 1x, He normal sqrt(2) = 1.41x, the "standard" U[-1/sqrt(n),
# 1/sqrt(n)] 0.58x. DeepDiagnosis flags weight variance outside [1e-5, 10],
# which is blind to RandomNormal(1.0) (variance 1, 12.6-16x Glorot here).
KERNEL_RATIO_LARGE = 2.0

# The first layer's inputs are badly scaled when their std is at least this.
# Glorot & Bengio's variance argument assumes inputs of unit variance; with a
# Glorot kernel a layer's pre-activation std is at most sqrt(2) times the input
# rms, so 40% of sigmoid (tanh) values pass eps 0.01 only once the input rms
# reaches about 3.9 (2.2). UMLAUT and DeepDiagnosis flag inputs outside
# [-1, 1], which standardized data fails (max |x| 21 on the digits). Measured
# here: standardized digits 0.93, pixel values 0-255: 96.
INPUT_STD_LARGE = 2.0

# Large updates: the kernel moved by at least this share of its norm per step
# (|W - W_prev| / |W_prev| over the steps between two logs). Karpathy's rule of
# thumb for a healthy update:data ratio is about 1e-3 per step (makemore part
# 3); DeepDiagnosis flags lr * |dW| / |W| above 1e-1. Measured here before
# saturation set in: Adam 0.3, 0.42-0.63; Adam 0.01, 0.022-0.027. Below the
# rule-of-thumb rate the weights moved too slowly to be the cause.
UPDATE_RATIO_LARGE = 1e-3

# Every cause a finding can name, with the label the tab shows for it (sent
# to the tab in each finding, so the tab holds no copy). The order breaks
# ties between findings.
CAUSE_LABELS = {
    "initialization": "Initialization",
    "learning_rate": "Learning rate",
    "input_scaling": "Input scaling",
    "unknown": "Unknown",
}
CAUSES = tuple(CAUSE_LABELS)
HEALTHY = "healthy"
SATURATED = "saturated"

# Kinds of problem.
KIND_SATURATED = "saturated"
KIND_DEAD = "dead"
KIND_NONFINITE = "nonfinite"
_SATURATED, _DEAD, _NONFINITE = KIND_SATURATED, KIND_DEAD, KIND_NONFINITE

# Statistics the rules read.
NEEDED_STATS = ("count", "nonfinite", "saturatedLow", "saturatedHigh", "stuckUnits", "meanDerivative")
# Read when logged (absent in logs of other writers: treated as unknown).
OPTIONAL_STATS = ("outOfRange",)

LayerSeries = collections.namedtuple(
    "LayerSeries", ["tag", "activation", "units", "steps", "stats", "signals"]
)
LayerSeries.__doc__ = """One layer's logged series, in network order within a run.

`steps`: int64 [T], increasing. `stats`: {field: float64 [T]} with at least
the fields the rules read. `signals`: {field of SIGNALS_FIELDS: float64 [T]}
aligned with `steps` (NaN where not logged), or None without callback signals.
Build with `layer_series`, which checks all this.
"""


def layer_series(tag, activation, units, steps, stats, signals=None):
    """Returns a checked `LayerSeries` of float64 arrays.

    Raises:
      TypeError: `stats` or `signals` is not a mapping.
      ValueError: an unsupported activation, units < 1, a missing statistic,
        or arrays whose length differs from `steps`.
    """
    activations_lib.get(activation)
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
        raise ValueError("units must be a positive int; got %r" % (units,))
    steps = np.asarray(steps, np.int64)
    if steps.ndim != 1:
        raise ValueError("steps must be 1-D; got shape %s" % (steps.shape,))
    if np.any(np.diff(steps) <= 0):
        raise ValueError("steps must be strictly increasing; got %s" % steps.tolist())
    stats = _arrays("stats", stats, len(steps))
    missing = [name for name in NEEDED_STATS if name not in stats]
    if missing:
        raise ValueError("stats must have the fields %s; missing %s" % (list(NEEDED_STATS), missing))
    if signals is not None:
        given = _arrays("signals", signals, len(steps))
        nan = np.full(len(steps), np.nan)
        signals = {name: given.get(name, nan) for name in metadata.SIGNALS_FIELDS}
    return LayerSeries(tag, activation, int(units), steps, stats, signals)


def _arrays(what, mapping, length):
    if not isinstance(mapping, collections.abc.Mapping):
        raise TypeError(
            "%s must be a mapping of field name to array; got %s" % (what, type(mapping).__name__)
        )
    result = {}
    for name, values in mapping.items():
        array = np.asarray(values, np.float64)
        if array.shape != (length,):
            raise ValueError(
                "%s[%r] must have shape (%d,) like steps; got %s" % (what, name, length, array.shape)
            )
        result[name] = array
    return result


# -- The pure core --------------------------------------------------------------

_Problem = collections.namedtuple(
    "_Problem", ["layer", "index", "kind", "share", "onset", "at_start"]
)


Finding = collections.namedtuple(
    "Finding", ["cause", "kind", "layers", "step", "evidence", "worst", "learning_rate"]
)
Finding.__doc__ = """One cause and kind of problem: the layers' tags in network order, the
onset step, the evidence text, the worst layer's `LayerSeries` and the
largest learning rate logged before its onset (NaN if unknown)."""


def find(layers):
    """The `Finding`s of one run's layers (`LayerSeries`, network order), most important first."""
    layers = [layer for layer in layers if len(layer.steps)]
    problems = [p for p in (_problem(layer, i) for i, layer in enumerate(layers)) if p]
    start_tags = {p.layer.tag for p in problems if p.kind != _NONFINITE and p.at_start}
    groups = collections.OrderedDict()
    for problem in problems:
        cause, clauses = _cause(problem, start_tags, len(layers))
        groups.setdefault((cause, problem.kind), []).append((problem, clauses))
    findings = [_finding(cause, kind, members) for (cause, kind), members in groups.items()]
    findings.sort(key=lambda f: f[0])
    return [f[1] for f in findings]


def _problem(layer, index):
    """The layer's problem if it is flagged at its last step, else None."""
    stats = layer.stats
    count = stats["count"]
    nonfinite_share = np.divide(
        stats["nonfinite"], count, out=np.zeros_like(count), where=count > 0
    )
    candidates = [(_NONFINITE, nonfinite_share, stats["nonfinite"] > 0)]
    if activations_lib.get(layer.activation).judged_by_stuck_units:
        dead = stats["stuckUnits"] / layer.units
        candidates.append((_DEAD, dead, dead >= DEAD_UNITS_SHARE))
    else:
        share = stats["saturatedLow"] + stats["saturatedHigh"]
        candidates.append((_SATURATED, share, share >= SATURATED_SHARE))
    for kind, share, flagged in candidates:
        if flagged[-1]:
            onset = int(np.argmax(flagged))
            return _Problem(layer, index, kind, share, onset, onset == 0)
    return None


def _cause(problem, start_tags, layer_count):
    """(cause, evidence clauses about the cause) of one problem."""
    if problem.kind == _NONFINITE:
        if problem.at_start:
            return "unknown", ["NaN or Inf from the first logged step point to the inputs"]
        return "learning_rate", ["NaN or Inf appearing during training are a sign of divergence"]
    if not problem.at_start:
        return _late_cause(problem)
    layer = problem.layer
    start = layer.steps[0]
    if problem.kind == _DEAD:
        # ReLU is positively homogeneous: neither the input scale nor the
        # kernel scale decides which units are off, the initial weights'
        # directions and the biases do.
        return "initialization", [
            "dead from %s: the initial weights and biases switch these units off for every "
            "probe sample" % _from_start(start)
        ]
    signals = layer.signals
    first = {name: signals[name][0] for name in signals} if signals is not None else None
    if first is not None and math.isfinite(first["kernelStd"] / first["glorotStd"]):
        return _start_cause_from_signals(problem, first)

    def settle(what):
        """The clause naming the signal that would settle the cause."""
        if signals is None:
            return "; log with SaturationCallback to " + what
        return "; %s has no kernel of its own, so its signals cannot tell" % layer.tag

    others = start_tags - {layer.tag}
    if layer_count == 1:
        return "unknown", [
            "the only logged layer is saturated from step %d, which initialization and input "
            "scaling both explain" % start
            + settle("compare the input std and the kernel std with the Glorot std")
        ]
    if problem.index == 0 and not others:
        return "input_scaling", [
            "only the first layer is saturated from step %d, which points to unscaled inputs" % start
            + settle("see the input std")
        ]
    return "initialization", [
        "saturated from %s, which points to the initialization" % _from_start(start)
        + settle("compare the kernel std with the Glorot std")
    ]


def _from_start(step):
    """The start of a problem: step 0 is before any update; a later first step is only the first logged one."""
    if step == 0:
        return "step 0, before any update"
    return "step %d, the first logged step" % step


def _start_cause_from_signals(problem, first):
    """Cause of a saturation present at the first step, from the callback's signals.

    Inputs are checked before weights, as DeepDiagnosis does; when both are
    off, the larger excess over its expected scale (input std over 1, kernel
    std over the Glorot std) wins.
    """
    step = problem.layer.steps[0]
    kernel_ratio = first["kernelStd"] / first["glorotStd"]
    kernel_clause = "kernel std %s = %sx the Glorot std %s at step %d" % (
        num(first["kernelStd"]), num(kernel_ratio), num(first["glorotStd"]), step
    )
    input_std = first["inputStd"] if problem.index == 0 else math.nan
    input_clause = "input std %s (max |x| %s) at step %d" % (
        num(input_std), num(first["inputMaxAbs"]), step
    )
    if input_std >= INPUT_STD_LARGE and input_std >= kernel_ratio:
        return "input_scaling", [
            "%s, at least %s; Glorot init assumes inputs of unit scale"
            % (input_clause, num(INPUT_STD_LARGE))
        ]
    if kernel_ratio >= KERNEL_RATIO_LARGE:
        return "initialization", ["%s, at least %sx" % (kernel_clause, num(KERNEL_RATIO_LARGE))]
    clauses = ["%s, under %sx" % (kernel_clause, num(KERNEL_RATIO_LARGE))]
    if math.isfinite(input_std):
        clauses.append("%s, under %s" % (input_clause, num(INPUT_STD_LARGE)))
    clauses.append("neither explains it: check the biases and the offset of the layer's input")
    return "unknown", clauses


def _late_cause(problem):
    layer = problem.layer
    onset_step = layer.steps[problem.onset]
    signals = layer.signals
    window = np.full(problem.onset + 1, np.nan)
    if signals is not None:
        window = _per_step_update_ratios(layer.steps, signals["updateRatio"])[: problem.onset + 1]
    if not np.isfinite(window).any():
        hint = (
            "log with SaturationCallback to see the update ratio |dW|/|W| and the learning rate"
            if signals is None
            else "%s has no kernel of its own, so no update ratio" % layer.tag
        )
        return "learning_rate", [
            "onset at step %d, after training started, points to the learning rate; %s"
            % (onset_step, hint)
        ]
    peak = int(np.nanargmax(window))
    lr = _blamed_learning_rate(problem)
    lr_clause = ", learning rate %s" % num(lr) if math.isfinite(lr) else ""
    moved = "the kernel of %s moved %s of its norm per step between steps %d and %d" % (
        layer.tag, num(window[peak]), layer.steps[peak - 1], layer.steps[peak]
    )
    if window[peak] >= UPDATE_RATIO_LARGE:
        return "learning_rate", [
            "%s, at least %s (Karpathy's rule of thumb)%s" % (moved, num(UPDATE_RATIO_LARGE), lr_clause)
        ]
    return "unknown", [
        "onset at step %d, but %s, under %s: the updates were too small to blame the "
        "learning rate%s" % (onset_step, moved, num(UPDATE_RATIO_LARGE), lr_clause)
    ]


def _blamed_learning_rate(problem):
    """The largest learning rate logged before the onset (at it if none before), or NaN."""
    signals = problem.layer.signals
    if signals is None:
        return math.nan
    rates = signals["learningRate"]
    for window in (rates[: problem.onset], rates[: problem.onset + 1]):
        known = window[np.isfinite(window)]
        if len(known):
            return float(known.max())
    return math.nan


def _per_step_update_ratios(steps, update_ratio):
    """updateRatio / steps since the previous log; NaN where unknown."""
    ratios = np.full(len(steps), np.nan)
    if len(steps) > 1:
        ratios[1:] = update_ratio[1:] / np.diff(steps)
    return ratios


def _finding(cause, kind, members):
    """(sort key, `Finding`) of one group of problems with the same cause and kind."""
    members.sort(key=lambda m: m[0].index)
    problems = [m[0] for m in members]
    onsets = [p.layer.steps[p.onset] for p in problems]
    step = int(min(onsets))
    # The worst layer: the highest share at its last step, the earliest on ties.
    worst_index = max(range(len(problems)), key=lambda i: (problems[i].share[-1], -i))
    worst = problems[worst_index]
    evidence = [_symptom(worst)] + members[worst_index][1]
    if len(problems) > 1:
        evidence.append(
            "%d layers %s at their last step: %s"
            % (
                len(problems),
                _kind_word(kind),
                ", ".join("%s %s" % (p.layer.tag, pct(p.share[-1])) for p in problems),
            )
        )
    finding = Finding(
        cause=cause,
        kind=kind,
        layers=[p.layer.tag for p in problems],
        step=step,
        evidence="; ".join(evidence),
        worst=worst.layer,
        learning_rate=_blamed_learning_rate(worst),
    )
    key = (step, -len(problems), -float(worst.share[-1]), CAUSES.index(cause), kind)
    return key, finding


def _symptom(problem):
    """The worst layer's numbers: share at the first step, the onset and the last step."""
    layer = problem.layer
    picks = sorted({0, problem.onset, len(layer.steps) - 1})
    over = ", ".join("%s at step %d" % (pct(problem.share[i]), layer.steps[i]) for i in picks)
    if problem.kind == _DEAD:
        return "units of %s dead (zero on every probe sample): %s" % (layer.tag, over)
    if problem.kind == _NONFINITE:
        return "activations of %s NaN or Inf: %s" % (layer.tag, over)
    derivative = layer.stats["meanDerivative"][-1]
    maximum = activations_lib.get(layer.activation).max_derivative
    return "activations of %s saturated: %s; mean derivative %s at step %d, %s of the %s maximum %s" % (
        layer.tag, over, num(derivative), layer.steps[-1], pct(derivative / maximum),
        layer.activation, num(maximum),
    )


def _kind_word(kind):
    return {_SATURATED: "saturated", _DEAD: "with dead units", _NONFINITE: "non-finite"}[kind]


