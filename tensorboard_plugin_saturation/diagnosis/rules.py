"""The diagnosis rules: which layers have a problem, and its most likely cause.

Pure functions over plain arrays: `find(layers)` takes `LayerSeries` (build
them with `layer_series`) and returns `Finding`s, most important first; no
remedy text and no reading here (see `remedies` and `reading`).
docs/diagnosis.md explains every rule and threshold in plain words, and
tests/calibration checks them on 26 real trainings.

Steps at which the BatchNormalization statistics were mostly initial
(signal `normalizationInitial` >= `NORMALIZATION_INITIAL_LARGE`) are dropped
first. A layer then has a problem when it is flagged at its last step; its
onset is the first step at which it was flagged:

| activation   | flagged at a step when                                          |
| ------------ | --------------------------------------------------------------- |
| any          | >= `OUT_OF_RANGE_SHARE` of the values outside the activation's  |
|              | range: `activation_mismatch` (checked first, nothing else then) |
| any          | some activations are NaN or Inf                                 |
| sigmoid/tanh | saturated share (low + high) >= `SATURATED_SHARE`; a model      |
|              | output only when flagged at every step                          |
| relu-like    | dead units (zero on every probe sample) >= `DEAD_UNITS_SHARE`   |

The cause of a problem present at the first step:

- dead units: `initialization`;
- with the callback's signals, inputs before weights (DeepDiagnosis' order):
  `input_scaling` for the first layer, or the first saturating one behind
  relu layers only, when the model's input std and its own are at least
  `INPUT_STD_LARGE` and at least the kernel's multiple of the Glorot std;
  `learning_rate` when the order of logging and updates is not recorded
  (not the Keras callback) and the kernel then moves >= `UPDATE_RATIO_LARGE`
  per step; `initialization` when the kernel std is >= `KERNEL_RATIO_LARGE`
  times the Glorot std; else `unknown`;
- statistics only (or a layer without a kernel): `unknown` for the only
  logged layer, `input_scaling` for the first saturating layer when no other
  layer is saturated from the start, else `initialization`;
- NaN or Inf: `unknown` (look at the inputs).

A later onset: `learning_rate` when the kernel moved >= `UPDATE_RATIO_LARGE`
per step up to the onset; no problem for sigmoid/tanh saturation whose mean
derivative is still >= `DERIVATIVE_KEPT` of the maximum (learned); else
`unknown` with signals, `learning_rate` without (NaN or Inf: divergence).

`vanishing_gradient`: when no hidden layer has a problem, the layers whose
product of mean derivatives through the depth is under `VANISHING_PRODUCT`.

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
# (|W - W_prev| / |W_prev| over the steps between two logs). DeepDiagnosis
# flags lr * |dW| / |W| above 1e-1; Karpathy's rule of thumb for a healthy
# update:data ratio is about 1e-3 per step (makemore part 3). Measured on the
# calibration set (tests/calibration, docs/diagnosis.md section 4) over the
# first interval, where updates are largest: healthy networks 0.017-0.044
# (Adam 1e-2 to 3e-3), learning rates that broke the network 0.195-1.49
# (RMSprop 0.1, Adam 0.3, RMSprop 0.5).
UPDATE_RATIO_LARGE = 0.1

# A sigmoid/tanh layer that saturated during training without large updates
# is a problem only when its mean derivative fell under this share of the
# activation's maximum (sigmoid 0.25, tanh 1): the units then pass almost no
# gradient (Glorot & Bengio 2010). Units a network learned to use as binary
# features keep a mean derivative of 20% of the maximum and more (a healthy
# conv net's tanh layer: 43% saturated, 20%); saturation from large steps
# leaves 0-6%.
DERIVATIVE_KEPT = 0.1

# A problem present at the first logged step is blamed on the learning rate
# rather than on the weights when the order of logging and updates is not
# known (PyTorch runs logged by hand, summary ops) and the kernel then moves
# at least UPDATE_RATIO_LARGE per step: one large step before the first log
# scales the kernel as a bad initialization would.

# Values logged as an activation's output but outside its range ([0, 1] for
# sigmoid, [-1, 1] for tanh, >= 0 for relu) cannot come from that activation:
# at least this share out of range means the data are
# pre-activations or another activation's output (judged, like every problem,
# at the last step). The real activations put none outside; pre-activations
# of a healthy network put 30-50% outside.
OUT_OF_RANGE_SHARE = 1e-3

# Vanishing gradients (Glorot & Bengio 2010): the backpropagated gradient is
# multiplied by each layer's mean derivative (relu: twice it, which He's gain
# compensates; capped at 1). When the product through the layers above a
# layer is under this, that layer gets almost no gradient: 8 sigmoid layers
# give about 0.25^8 = 1.5e-5 (8 x 32 sigmoid measured: 8e-6, chance accuracy
# with SGD and with Adam); healthy networks measured here 1.6e-3 (4 x 256
# sigmoid) and more.
VANISHING_PRODUCT = 1e-4

# Under training=False the probe normalizes with the BatchNormalization moving
# statistics; while at least this share of them is still the initial 0 and 1
# (signal `normalizationInitial`, momentum ** steps) the probe sees the layers
# un-normalized, which training never does: those steps are skipped.
NORMALIZATION_INITIAL_LARGE = 0.5

# Every cause a finding can name, with the label the tab shows for it (sent
# to the tab in each finding, so the tab holds no copy). The order breaks
# ties between findings.
CAUSE_LABELS = {
    "initialization": "Initialization",
    "learning_rate": "Learning rate",
    "input_scaling": "Input scaling",
    "activation_mismatch": "Not this activation",
    "vanishing_gradient": "Vanishing gradient",
    "unknown": "Unknown",
}
CAUSES = tuple(CAUSE_LABELS)
HEALTHY = "healthy"
SATURATED = "saturated"

# Kinds of problem.
KIND_SATURATED = "saturated"
KIND_DEAD = "dead"
KIND_NONFINITE = "nonfinite"
KIND_MISMATCH = "mismatch"
KIND_VANISHING = "vanishing"
_SATURATED, _DEAD, _NONFINITE = KIND_SATURATED, KIND_DEAD, KIND_NONFINITE

# Statistics the rules read.
NEEDED_STATS = ("count", "nonfinite", "saturatedLow", "saturatedHigh", "stuckUnits", "meanDerivative")
# Read when logged (absent in logs of other writers: treated as unknown).
OPTIONAL_STATS = ("outOfRange",)

LayerSeries = collections.namedtuple(
    "LayerSeries",
    ["tag", "activation", "units", "steps", "stats", "signals", "framework", "output", "train_step", "group"],
    defaults=(None, False, None, None),
)
LayerSeries.__doc__ = """One layer's logged series, in network order within a run.

`steps`: int64 [T], increasing. `stats`: {field: float64 [T]} with at least
the fields the rules read. `signals`: {field of SIGNALS_FIELDS: float64 [T]}
aligned with `steps` (NaN where not logged), or None without callback signals.
From the metadata (None/False when not logged): `framework` ("keras",
"torch", "tf"), `output` (a model output), `train_step` ("custom" for a Keras
model with its own train_step), `group` (the layer of a recurrent gate).
Build with `layer_series`, which checks all this.
"""


def layer_series(tag, activation, units, steps, stats, signals=None, *, framework=None, output=False,
                 train_step=None, group=None):
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
    return LayerSeries(tag, activation, int(units), steps, stats, signals, framework, bool(output),
                       train_step, group)


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
    layers = [_without_unnormalized_steps(layer) for layer in layers if len(layer.steps)]
    layers = [layer for layer in layers if len(layer.steps)]
    chain = [layer for layer in layers if layer.group is None]  # gates are not in the layer chain
    problems = []
    for layer in layers:
        problem = _mismatch(layer, chain) or _problem(layer, chain)
        if problem is not None:
            problems.append(problem)
    start_tags = {p.layer.tag for p in problems if p.kind == _SATURATED and p.at_start}
    groups = collections.OrderedDict()
    for problem in problems:
        cause, clauses = _cause(problem, start_tags, chain)
        if cause is None:
            continue  # learned saturation, not a problem
        groups.setdefault((cause, problem.kind), []).append((problem, clauses))
    flagged = {p.layer.tag for p in problems}
    vanishing = _vanishing(chain, flagged)
    if vanishing is not None:
        groups[("vanishing_gradient", KIND_VANISHING)] = vanishing
    findings = [_finding(cause, kind, members) for (cause, kind), members in groups.items()]
    findings.sort(key=lambda f: f[0])
    return [f[1] for f in findings]


def _without_unnormalized_steps(layer):
    """The layer without the steps at which BatchNormalization statistics were mostly initial."""
    if layer.signals is None:
        return layer
    initial = layer.signals["normalizationInitial"]
    keep = ~(initial >= NORMALIZATION_INITIAL_LARGE)  # NaN (unknown) keeps the step
    if keep.all():
        return layer
    return layer._replace(
        steps=layer.steps[keep],
        stats={name: values[keep] for name, values in layer.stats.items()},
        signals={name: values[keep] for name, values in layer.signals.items()},
    )


def _mismatch(layer, chain):
    """An `activation_mismatch` problem if values outside the activation's range were logged."""
    out = layer.stats.get("outOfRange")
    if out is None:
        return None
    flagged = out >= OUT_OF_RANGE_SHARE
    if not flagged[-1]:
        return None
    return _Problem(layer, _position(layer, chain), KIND_MISMATCH, out, int(np.argmax(flagged)), bool(flagged[0]))


def _problem(layer, chain):
    """The layer's problem if it is flagged at its last step, else None.

    A model output is not counted as saturated for its confidence: only when
    it was saturated at every logged step from the first.
    """
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
        flagged = share >= SATURATED_SHARE
        if not (layer.output and not flagged.all()):
            candidates.append((_SATURATED, share, flagged))
    index = _position(layer, chain)
    for kind, share, flagged in candidates:
        if flagged[-1]:
            onset = int(np.argmax(flagged))
            return _Problem(layer, index, kind, share, onset, onset == 0)
    return None


def _cause(problem, start_tags, chain):
    """(cause, evidence clauses about the cause) of one problem; cause None: not a problem."""
    if problem.kind == KIND_MISMATCH:
        return "activation_mismatch", [_mismatch_clause(problem)]
    if problem.kind == _NONFINITE:
        if problem.at_start:
            return "unknown", ["NaN or Inf from the first logged step point to the inputs"]
        return "learning_rate", ["NaN or Inf appearing during training are a sign of divergence"]
    if not problem.at_start:
        return _late_cause(problem)
    layer = problem.layer
    start = layer.steps[0]
    clauses = _normalization_clauses(layer)
    if problem.kind == _DEAD:
        # ReLU is positively homogeneous: neither the input scale nor the
        # kernel scale decides which units are off, the initial weights'
        # directions and the biases do.
        return "initialization", [
            "dead from %s: the initial weights and biases switch these units off for every "
            "probe sample" % _from_start(layer)
        ] + clauses
    signals = layer.signals
    first = {name: signals[name][0] for name in signals} if signals is not None else None
    before = _scale_preserving_chain(layer, chain)
    if first is not None and (
        math.isfinite(first["kernelStd"] / first["glorotStd"])
        or (before is not None and first["inputStd"] >= INPUT_STD_LARGE)
    ):
        cause, found = _start_cause_from_signals(problem, first, before)
        return cause, found + _order_clauses(problem, cause) + clauses

    def settle(what):
        """The clause naming the signal that would settle the cause."""
        if signals is None:
            return "; log with SaturationCallback to " + what
        return "; %s has no kernel of its own, so its signals cannot tell" % layer.tag

    others = start_tags - {layer.tag}
    if len(chain) == 1:
        return "unknown", [
            "the only logged layer is saturated from step %d, which initialization and input "
            "scaling both explain" % start
            + settle("compare the input std and the kernel std with the Glorot std")
        ] + clauses
    if before is not None and not others:
        where = "only the first layer is" if not before else (
            "only the first saturating layer is (behind %s, which keep the input's scale)" % _names(before)
        )
        return "input_scaling", [
            "%s saturated from step %d, which points to unscaled inputs" % (where, start)
            + settle("see the input std")
        ] + clauses
    return "initialization", [
        "saturated from %s, which points to the initialization" % _from_start(layer)
        + settle("compare the kernel std with the Glorot std")
    ] + clauses


def _position(layer, chain):
    """The layer's index in `chain` (by identity), -1 if it is not in it (a gate)."""
    for i, other in enumerate(chain):
        if other is layer:
            return i
    return -1


def _names(layers):
    return ", ".join(layer.tag for layer in layers)


def _scale_preserving_chain(layer, chain):
    """The logged layers before `layer` if all keep their input's scale (relu), else None.

    ReLU is positively homogeneous, so inputs 100 times too large come out of
    a relu layer (and of the pooling, flattening and linear layers between,
    which are not logged) 100 times too large. [] for the first layer.
    """
    position = _position(layer, chain)
    if position < 0:
        return None
    before = chain[:position]
    if all(b.activation == "relu" for b in before):
        return before
    return None


def _normalization_clauses(layer):
    """Says which first steps were skipped because BatchNormalization had no statistics yet."""
    if layer.signals is None or layer.steps[0] == 0:
        return []
    initial = layer.signals["normalizationInitial"][0]
    if not math.isfinite(initial):
        return []
    return [
        "steps before %d skipped: BatchNormalization layers still had mostly their initial "
        "statistics, with which the probe (training=False) does not normalize" % layer.steps[0]
    ]


def _order_clauses(problem, cause):
    """Says when the order of logging and updates makes an at-start cause uncertain."""
    layer = problem.layer
    if not _order_unknown(layer) or layer.steps[0] != 0 or cause in ("learning_rate", "input_scaling"):
        return []
    return [
        "if step 0 was logged after the first update (the order of logging and updates is not "
        "recorded), a large learning rate explains it as well"
    ]


def _from_start(layer):
    """The start of a problem: step 0 is before any update; a later first step is only the first logged one."""
    step = layer.steps[0]
    if step == 0:
        if not _order_unknown(layer):
            return "step 0, before any update"
        return "step 0"
    return "step %d, the first logged step" % step


def _start_cause_from_signals(problem, first, before):
    """Cause of a saturation present at the first step, from the callback's signals.

    Inputs are checked before weights, as DeepDiagnosis does; when both are
    off, the larger excess over its expected scale (input std over 1, kernel
    std over the Glorot std) wins. Unscaled inputs count for the first
    saturating layer behind relu layers (`before`) when the model's input and
    this layer's input are both large. When the order of logging and updates
    is not known and the kernel then moves by large steps, one such step
    before the first log explains the kernel's scale: learning rate.
    """
    layer = problem.layer
    step = layer.steps[0]
    kernel_ratio = first["kernelStd"] / first["glorotStd"]
    kernel_clause = "kernel std %s = %sx the Glorot std %s at step %d" % (
        num(first["kernelStd"]), num(kernel_ratio), num(first["glorotStd"]), step
    )
    input_std = math.nan
    input_clause = ""
    if before is not None:
        model_input = before[0].signals if before and before[0].signals is not None else None
        model_std = model_input["inputStd"][0] if model_input is not None else first["inputStd"]
        if before and not model_std >= INPUT_STD_LARGE:
            input_std = math.nan  # large only inside the network: not the data
        else:
            input_std = first["inputStd"]
        input_clause = "input std %s (max |x| %s) at step %d" % (
            num(first["inputStd"]), num(first["inputMaxAbs"]), step
        )
        if before:
            input_clause = "model input std %s reached %s through %s, which keep its scale: %s" % (
                num(model_std), layer.tag, _names(before), input_clause
            )
    if input_std >= INPUT_STD_LARGE and not input_std < kernel_ratio:
        return "input_scaling", [
            "%s, at least %s; Glorot init assumes inputs of unit scale"
            % (input_clause, num(INPUT_STD_LARGE))
        ]
    early = _early_update(problem)
    if early is not None and _order_unknown(layer):
        ratio, lr = early
        return "learning_rate", [
            "%s; the kernel then moved %s of its norm per step%s, at least %s: step 0 may have been "
            "logged after the first update (the order of logging and updates is not recorded), and "
            "one such step scales the kernel as a bad initialization would; the order makes the "
            "cause uncertain" % (kernel_clause, num(ratio),
                                 ", learning rate %s" % num(lr) if math.isfinite(lr) else "",
                                 num(UPDATE_RATIO_LARGE))
        ]
    if kernel_ratio >= KERNEL_RATIO_LARGE:
        return "initialization", ["%s, at least %sx" % (kernel_clause, num(KERNEL_RATIO_LARGE))]
    clauses = []
    if math.isfinite(kernel_ratio):
        clauses.append("%s, under %sx" % (kernel_clause, num(KERNEL_RATIO_LARGE)))
    if math.isfinite(input_std):
        clauses.append("%s, under %s" % (input_clause, num(INPUT_STD_LARGE)))
    clauses.append("neither explains it: check the biases and the offset of the layer's input")
    return "unknown", clauses


def _order_unknown(layer):
    """True when step 0 may have been logged after updates.

    The Keras callback logs step 0 before any update (logs without a
    framework are 0.1 logs: the callback, or the summary op, which the
    diagnosis always read as before any update). The PyTorch logger's hook
    does too, but its `log(step)` may be called after `optimizer.step()`,
    and a summary op in a custom loop anywhere: the metadata does not say.
    """
    return layer.framework not in ("keras", None)


def _early_update(problem):
    """(per-step update ratio, learning rate) of the first interval if it is large, else None."""
    layer = problem.layer
    if layer.signals is None or len(layer.steps) < 2:
        return None
    ratio = _per_step_update_ratios(layer.steps, layer.signals["updateRatio"])[1]
    if not ratio >= UPDATE_RATIO_LARGE:
        return None
    return float(ratio), float(layer.signals["learningRate"][0])


def _late_cause(problem):
    """Cause of a problem that started after the first step; (None, []) for learned saturation.

    Large updates before the onset: the learning rate. Otherwise a
    sigmoid/tanh layer whose units still pass gradient (mean derivative at
    least DERIVATIVE_KEPT of the maximum) learned to use saturation: no
    problem. Else `unknown` when the signals show small updates, and the
    learning rate (the likeliest) without signals.
    """
    layer = problem.layer
    onset_step = layer.steps[problem.onset]
    signals = layer.signals
    window = np.full(problem.onset + 1, np.nan)
    if signals is not None:
        window = _per_step_update_ratios(layer.steps, signals["updateRatio"])[: problem.onset + 1]
    large = np.isfinite(window).any() and np.nanmax(window) >= UPDATE_RATIO_LARGE
    if problem.kind == _SATURATED and not large:
        derivative = layer.stats["meanDerivative"][-1]
        if derivative >= DERIVATIVE_KEPT * activations_lib.get(layer.activation).max_derivative:
            return None, []
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
    if large:
        return "learning_rate", [
            "%s, at least %s (DeepDiagnosis' bound)%s" % (moved, num(UPDATE_RATIO_LARGE), lr_clause)
        ]
    return "unknown", [
        "onset at step %d, but %s, under %s: the updates were too small to blame the "
        "learning rate%s" % (onset_step, moved, num(UPDATE_RATIO_LARGE), lr_clause)
    ]


def _mismatch_clause(problem):
    layer = problem.layer
    act = activations_lib.get(layer.activation)
    worst = len(layer.steps) - 1  # judged at the last step, as every problem
    high = "inf" if math.isinf(act.high) else num(act.high)
    return (
        "these values look like pre-activations or the output of another activation, not %s: "
        "%s of them are outside its range [%s, %s] at step %d, which %s never produces"
        % (layer.activation, pct(problem.share[worst]), num(act.low), high, layer.steps[worst],
           layer.activation)
    )


def _gradient_factors(layer):
    """Per step, the factor by which the layer scales the backpropagated gradient (see VANISHING_PRODUCT)."""
    derivative = layer.stats["meanDerivative"]
    if activations_lib.get(layer.activation).judged_by_stuck_units:
        return np.minimum(1.0, 2.0 * derivative)
    return derivative


def _vanishing(chain, flagged):
    """The `vanishing_gradient` group [(problem, clauses)] or None.

    The gradient reaching a layer has passed the derivatives of every layer
    from it to the last hidden one (outputs excluded: their loss usually
    cancels the derivative). When no hidden layer has another problem, the
    layers whose product is under VANISHING_PRODUCT at the last common step
    are starved.
    The first one's update ratio is quoted, not required: Adam moves every
    layer by about its learning rate whatever the gradient's scale, and an
    8-layer sigmoid network trained with it still stayed at chance
    (tests/calibration).
    """
    hidden = [layer for layer in chain if not layer.output]
    if len(hidden) < 2 or any(layer.tag in flagged for layer in hidden):
        return None  # a saturated, dead or diverged layer already explains a small product
    steps = hidden[0].steps
    for layer in hidden[1:]:
        steps = np.intersect1d(steps, layer.steps)
    if not len(steps):
        return None
    factors = np.stack([_gradient_factors(l)[np.searchsorted(l.steps, steps)] for l in hidden])
    suffix = np.cumprod(factors[::-1], axis=0)[::-1]  # suffix[i] = product of factors i..end
    starved = [i for i in range(len(hidden)) if suffix[i, -1] < VANISHING_PRODUCT]
    if not starved:
        return None
    first = hidden[starved[0]]
    clauses = [
        "the product of the mean derivatives of the %d layers from %s to %s is %s at step %d, "
        "under %s: the gradient reaching %s is that much smaller than at the last layer"
        % (len(hidden) - starved[0], first.tag, hidden[-1].tag, num(suffix[starved[0], -1]),
           steps[-1], num(VANISHING_PRODUCT), first.tag),
        "mean derivatives at step %d: %s" % (
            steps[-1], ", ".join("%s %s" % (l.tag, num(f)) for l, f in zip(hidden, factors[:, -1]))),
    ]
    if first.signals is not None:
        moved = _per_step_update_ratios(first.steps, first.signals["updateRatio"])
        if np.isfinite(moved).any():
            median = float(np.nanmedian(moved))
            clauses.append("the kernel of %s moved a median %s of its norm per step" % (first.tag, num(median)))
    share = suffix[starved[0]]
    onset = int(np.argmax(share < VANISHING_PRODUCT))
    members = []
    for i in starved:
        layer = hidden[i]._replace(steps=steps)
        problem = _Problem(layer, _position(hidden[i], chain), KIND_VANISHING, suffix[i], onset, onset == 0)
        members.append((problem, clauses if i == starved[0] else []))
    return members


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
    # The worst layer: the highest share at its last step, the earliest on ties
    # (vanishing gradient: the first layer, which gets the least).
    if kind == KIND_VANISHING:
        worst_index = 0
    else:
        worst_index = max(range(len(problems)), key=lambda i: (problems[i].share[-1], -i))
    worst = problems[worst_index]
    evidence = [_symptom(worst)] + members[worst_index][1]
    if len(problems) > 1 and kind != KIND_VANISHING:
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
    key = (step, -len(problems), -float(worst.share[-1]) if kind != KIND_VANISHING else 0.0,
           CAUSES.index(cause), kind)
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
    if problem.kind == KIND_MISMATCH:
        return "values logged for %s outside the %s range: %s" % (layer.tag, layer.activation, over)
    if problem.kind == KIND_VANISHING:
        products = ", ".join("%s at step %d" % (num(problem.share[i]), layer.steps[i]) for i in picks)
        return "gradient of %s vanishing: product of the mean derivatives above it %s" % (layer.tag, products)
    derivative = layer.stats["meanDerivative"][-1]
    maximum = activations_lib.get(layer.activation).max_derivative
    return "activations of %s saturated: %s; mean derivative %s at step %d, %s of the %s maximum %s" % (
        layer.tag, over, num(derivative), layer.steps[-1], pct(derivative / maximum),
        layer.activation, num(maximum),
    )


def _kind_word(kind):
    return {_SATURATED: "saturated", _DEAD: "with dead units", _NONFINITE: "non-finite",
            KIND_MISMATCH: "out of range", KIND_VANISHING: "starved"}[kind]


