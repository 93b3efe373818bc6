"""The probe of `SaturationCallback`: one compiled pass over the probe batch, on any backend.

Which layers are probed is `_targets.find_targets`'s job. `Probe` runs the
fixed probe batch through the model and computes every layer's statistics and
signals in the backend's own compiled function, built once:

| backend                     | module           | compiled as           | statistics                     |
| --------------------------- | ---------------- | --------------------- | ------------------------------ |
| TensorFlow (also tf_keras)  | `_probe_tf.py`    | one `tf.function`     | plain TF ops, then the fused TF op once it pays (`_tf_statistics`) |
| JAX                         | `_probe_jax.py`   | one `jax.jit`         | numpy on the host (`numpy_statistics`) |
| torch                       | `_probe_torch.py` | eager, `torch.no_grad` | torch ops (`_torch_statistics`) |

Only the statistics and signals, a few hundred numbers per layer, reach
`Probe.summary()`, which packs them into one `Summary` proto with the metadata
of `summary.py` on the host. Writing on the host keeps the compiled function
free of any summary writer, so a new writer (each `fit` opens and closes its
own) needs no new compilation. Nothing here imports TensorFlow: the JAX and
torch paths run without it.

The intermediate tensors are captured while the function is traced
(`capture_calls`): each target layer's `call` is wrapped for the duration of
one forward pass, so the captured input and output become part of the
compiled computation. This works the same for Sequential, Functional,
subclassed and nested models; at run time nothing is wrapped. The same trace
says which targets are model outputs (`output_indices`): those whose captured
output is the very tensor the forward pass returns.

The kernel snapshot behind the update ratio is state the caller keeps: each
run takes the previous log's kernel copies and returns the new ones, so no
backend needs variables of its own (under a `tf.distribute` strategy a
variable made by one worker would wait for the others).
"""

import math
import sys

import numpy as np

from tensorboard.compat.proto import summary_pb2
from tensorboard.compat.proto import tensor_pb2
from tensorboard.compat.proto import tensor_shape_pb2
from tensorboard.compat.proto import types_pb2

from tensorboard_plugin_saturation import _recurrent
from tensorboard_plugin_saturation import _targets
from tensorboard_plugin_saturation import metadata

_UPDATE_RATIO = metadata.SIGNALS_FIELDS.index("updateRatio")
_LEARNING_RATE = metadata.SIGNALS_FIELDS.index("learningRate")


class Probe:
    """The compiled forward pass and statistics of every target layer.

    Args:
      model: The Keras model (Keras 3 on TensorFlow, JAX or torch, or tf_keras).
      targets: The `Target`s, from `_targets.find_targets`.
      probe_data: The probe batch: an array or a structure of arrays matching
        the model's inputs; with `submodels`, a dict {sub-model name: batch}.
      eps: The saturation threshold.
      submodels: None to run `model`, else the [(name, sub-model)] to run
        instead (a model that trains with its own `train_step` and has no
        `call`).
      extra: Keys added to every `layer` series' metadata content.
      features: None, or the names of the numeric features of a structured
        probe: their std and max |x| on the probe go into every `signals`
        series' metadata ("probeFeatures": {name: [std, maxAbs]}).

    Raises:
      ValueError: Keras runs on a backend other than TensorFlow, JAX or torch.
    """

    def __init__(self, model, targets, probe_data, eps, submodels=None, extra=None, features=None):
        self._model = model
        self._targets = list(targets)
        self._eps = eps
        self._extra = dict(extra or {})
        self._probe_features = None if features is None else feature_scales(probe_data, features)
        self._samples = _samples_of(flatten(probe_data)[0])
        forward = Forward(model, None if submodels is None else list(submodels))
        self._compiled = backend_probe(model)(forward, self._targets, probe_data, eps)
        self._snapshots = None  # the kernels at the previous log
        self._metadata = None

    @property
    def model(self):
        return self._model

    @property
    def targets(self):
        return list(self._targets)

    @property
    def compiled(self):
        """The backend's compiled probe (`_probe_tf.TFProbe`, ...)."""
        return self._compiled

    def compile(self):
        """Compiles the probe (once); raises if the model cannot take the probe batch."""
        self._compiled.compile()

    def summary(self, counted_step=None):
        """Runs the probe; returns a `Summary` with the three series of every layer.

        The values and metadata are those of `summary.saturation_pb` for the
        `layer` and `units` series, plus the `signals` series. The update ratio
        of the first run is NaN (there is no previous kernel).

        `counted_step`: None, or the step when it is the caller's count of
        trained batches because `model.optimizer` does not train the model (a
        GAN's own optimizers do): then the learning rate is NaN (the model's
        optimizer's is not the one at work) and BatchNormalization's initial
        share follows the counted steps.
        """
        first = self._snapshots is None
        results, self._snapshots = self._compiled.run(self._snapshots)
        normalization = normalization_initial_share(self._model, counted_step)
        results = [
            (layer, units, np.append(signals, normalization)) for layer, units, signals in results
        ]
        for _, _, signals in results:
            if counted_step is not None:
                signals[_LEARNING_RATE] = math.nan
            if first:
                signals[_UPDATE_RATIO] = math.nan
        if self._metadata is None:
            self._metadata = [
                self._metadata_of(target, len(units))
                for target, (_, units, _) in zip(self._targets, results)
            ]
        pb = summary_pb2.Summary()
        for target, arrays, metadata_protos in zip(self._targets, results, self._metadata):
            suffixes = ("", metadata.UNITS_SUFFIX, metadata.SIGNALS_SUFFIX)
            for suffix, array, md in zip(suffixes, arrays, metadata_protos):
                pb.value.add(tag=target.tag + suffix, metadata=md, tensor=tensor_proto(array))
        return pb

    def _metadata_of(self, target, units):
        output = target.index in self._compiled.output_indices
        extra = dict(self._extra, **metadata.writer_keys("keras", output, target.group, target.gate))
        if target.gate is None:
            description = "Output of %s layer `%s` (%s) on a fixed probe batch of %d samples." % (
                type(target.layer).__name__, target.layer.name, target.activation.name, self._samples)
        else:
            description = (
                "%s `%s` of %s layer `%s` (%s), recomputed from its weights at every time "
                "step of a fixed probe batch of %d sequences."
                % ("State" if target.gate == "state" else "Gate", target.gate,
                   type(target.layer).__name__, target.layer.name, target.activation.name,
                   self._samples))
        layer_md, units_md = metadata.create_layer_metadata(
            target.tag, description, target.activation, self._eps, units, target.index, extra
        )
        signals = metadata.signals_content(target.tag)
        features = self._compiled.input_features.get(target.index)
        if features is not None:
            signals["inputFeatures"] = features
        if self._probe_features is not None:
            signals["probeFeatures"] = self._probe_features
        signals_md = metadata.create_summary_metadata(
            target.tag + metadata.SIGNALS_SUFFIX, None, signals
        )
        return layer_md, units_md, signals_md


def backend_probe(model):
    """The compiled-probe class for `model`'s framework and Keras backend.

    Each class is built as `cls(forward, targets, probe_data, eps)` (`forward`
    a `Forward`) and has `compile()`, `run(snapshots)` -> ([(layer, units,
    signals) ndarrays per target], new snapshots), `input_features` {target
    index: names of the numeric inputs} and `output_indices` (the indices of
    the targets that are model outputs), both filled when compiled.

    tf_keras models and Keras 3 on TensorFlow get `_probe_tf.TFProbe`; Keras 3
    on JAX `_probe_jax.JaxProbe`, on torch `_probe_torch.TorchProbe`. Each is
    imported only when used, so the JAX and torch paths import no TensorFlow.
    """
    from tensorboard_plugin_saturation import _legacy_keras  # pylint: disable=import-outside-toplevel

    if _legacy_keras.is_tf_keras(model):
        backend = "tensorflow"
    else:
        import keras  # pylint: disable=import-outside-toplevel

        backend = keras.backend.backend()
    # pylint: disable=import-outside-toplevel
    if backend == "tensorflow":
        from tensorboard_plugin_saturation import _probe_tf

        return _probe_tf.TFProbe
    if backend == "jax":
        from tensorboard_plugin_saturation import _probe_jax

        return _probe_jax.JaxProbe
    if backend == "torch":
        from tensorboard_plugin_saturation import _probe_torch

        return _probe_torch.TorchProbe
    raise ValueError(
        "SaturationCallback: Keras backend %r is not supported; use "
        "KERAS_BACKEND=tensorflow, jax or torch" % (backend,)
    )


class BackendProbe:
    """What the backends' compiled probes share: the probe batch as tensors and each target's captured input."""

    def __init__(self, forward, targets, probe_data, eps, to_tensor):
        """`to_tensor` converts each leaf of `probe_data` to the backend's tensor; the model is built if needed."""
        self._forward = forward
        self._targets = targets
        self._eps = eps
        self._probe = map_structure(to_tensor, probe_data)
        forward.build_if_needed(targets, self._probe)
        self.input_features = {}
        self.output_indices = frozenset()

    def _capture(self, forward, accept):
        """`capture_calls` of the targets' layers over `forward()`; notes which targets are model outputs."""
        captured, returned = capture_calls([t.layer for t in self._targets], forward, accept)
        self.output_indices = output_indices(self._targets, captured, returned)
        return captured

    def _values_and_scale(self, target, captured, recurrences, scale, nan):
        """(values, mask, input scale) of `target` from `capture_calls`' answer; notes its input's feature names.

        `scale` and `nan` as in `input_scale_of`.
        """
        args, kwargs, outputs = captured[id(target.layer)]
        values, mask = target_values(target, args, kwargs, outputs, recurrences)
        features, input_scale = input_scale_of(first_input(args, kwargs), scale, nan)
        if features is not None:
            self.input_features[target.index] = features
        return values, mask, input_scale


class Forward:
    """What the probe runs: `model` on the probe batch, or each sub-model on its own batch."""

    def __init__(self, model, submodels=None):
        self.model = model
        self.submodels = submodels

    def __call__(self, probe):
        """Runs the forward pass; returns the model's outputs (a list of each sub-model's)."""
        if self.submodels is None:
            return self.model(probe, training=False)
        return [submodel(probe[name], training=False) for name, submodel in self.submodels]

    def build_if_needed(self, targets, probe):
        """Runs once on `probe` if a target layer is not built yet.

        Subclassed models build on their first call, which creates the kernels
        the probe reads: make that call here, once, eagerly.
        """
        if not all(target.layer.built for target in targets):
            self(probe)


def capture_calls(layers, forward, accept):
    """Runs `forward()` with every layer's `call` recorded.

    Returns ({id(layer): (args, kwargs, outputs)}, what `forward()` returned).

    Each layer's first call whose (first) output passes `accept` is kept:
    calls that Keras makes elsewhere (shape inference while building, in a
    scratch graph or trace) are not. The wrappers live only while `forward`
    runs, so a compiled function traced inside holds no trace of them.

    Raises:
      ValueError: A layer is not called by the forward pass.
    """
    captured = {}
    restore = []
    try:
        for position, layer in enumerate(layers):
            if all(layer is not other for other in layers[:position]):
                restore.append(_wrap_call(layer, captured, accept))
        returned = forward()
    finally:
        for undo in reversed(restore):
            undo()
    missing = [layer.name for layer in layers if id(layer) not in captured]
    if missing:
        raise ValueError(
            "SaturationCallback: layers %s are not called by the forward pass of "
            "the model" % (sorted(set(missing)),)
        )
    return captured, returned


def output_indices(targets, captured, returned):
    """The indices of the targets whose logged output is one of the model's outputs.

    Exact: a target is an output when its captured output (the one its series
    logs) is the very tensor the forward pass returned (`returned`, a
    structure), whatever model kind holds the layer (Functional, Sequential,
    subclassed with `call`, a custom `Layer`, sub-models run on their own).
    A recurrent layer's gates are recomputed, never an output; a model
    output computed after the layer (a softmax on top, a reshape) is not the
    layer's output.
    """
    returned_ids = {id(leaf) for leaf in flatten(returned)}
    return frozenset(
        target.index
        for target in targets
        if target.gate is None and id(flatten(captured[id(target.layer)][2])[0]) in returned_ids
    )


def _wrap_call(layer, captured, accept):
    """Wraps the method `Layer.__call__` dispatches to; returns the undo."""
    name = "quantized_call" if getattr(layer, "quantization_mode", None) else "call"
    own = vars(layer).get(name)
    original = getattr(layer, name)

    def recording_call(*args, **kwargs):
        outputs = original(*args, **kwargs)
        output = flatten(outputs)[0]
        if id(layer) not in captured and accept(output):
            captured[id(layer)] = (args, kwargs, outputs)
        return outputs

    object.__setattr__(layer, name, recording_call)  # bypass Keras' attribute tracking

    def undo():
        if own is None:
            object.__delattr__(layer, name)
        else:
            object.__setattr__(layer, name, own)

    return undo


def target_values(target, args, kwargs, outputs, recurrences):
    """(values, mask) of a target: the layer's output, or its recomputed gate.

    A recurrent layer's gates are recomputed once (`recurrences` caches them);
    with a mask, only the unmasked (sequence, time step) pairs are samples:
    the caller selects them with its backend's boolean mask (`mask` is None
    without one).
    """
    if target.gate is None:
        return flatten(outputs)[0], None
    recurrence = recurrences.get(id(target.layer))
    if recurrence is None:
        recurrence = _recurrent.recompute(target.layer, *_recurrent.call_arguments(args, kwargs))
        recurrences[id(target.layer)] = recurrence
    return recurrence.gates[target.gate], recurrence.mask


def first_input(args, kwargs):
    """The input of a captured call: its first argument."""
    return args[0] if args else next(iter(kwargs.values()))


def target_kernel(target):
    """The kernel whose signals a target logs: the layer's, the block feeding its gate, or None."""
    import keras  # pylint: disable=import-outside-toplevel

    if target.gate is not None:
        return _recurrent.gate_kernel(target.layer, target.gate)
    kernel = getattr(target.layer, "kernel", None)
    return None if kernel is None else keras.ops.convert_to_tensor(kernel)


def kernel_shape(target):
    """The shape of `target_kernel(target)` as a tuple of ints, or None."""
    kernel = target_kernel(target)
    return None if kernel is None else tuple(int(d) for d in kernel.shape)


def glorot_shape(target):
    """The shape the kernel's initializer saw (a recurrent layer's whole input kernel)."""
    if target.gate is not None:
        return _recurrent.kernel_shape(target.layer)
    kernel = getattr(target.layer, "kernel", None)
    return None if kernel is None else tuple(int(d) for d in kernel.shape)


def feature_scales(probe_data, names):
    """{name: [std, max |x|]} of the named numeric features of a structured probe (float64, finite values; host side)."""
    import keras  # pylint: disable=import-outside-toplevel

    scales = {}
    for path, leaf in keras.tree.flatten_with_path(probe_data):
        name = "/".join(str(p) for p in path)
        if name not in names:
            continue
        values = host_value(leaf).astype(np.float64).ravel()
        values = values[np.isfinite(values)]
        scales[name] = [float(values.std()), float(np.abs(values).max())] if values.size else [None, None]
    return scales


def input_scale_of(inputs, scale, nan):
    """(names, scale(values)) of a layer's input over its numeric values.

    A structured input (a dict or list of tensors) is scaled over its float
    leaves only (string and integer features are categories, not scales);
    `names` are their paths ("age", "0"), None for a single tensor. `scale`
    is the backend's input-scale function; `nan` stands for a missing scale.
    """
    import keras  # pylint: disable=import-outside-toplevel

    leaves = keras.tree.flatten_with_path(inputs)
    if len(leaves) == 1 and not leaves[0][0]:
        leaf = leaves[0][1]
        if _dtype_kind(leaf) in ("float", "int"):
            return None, scale(leaf)
        return None, (nan, nan)
    numeric = [(path, leaf) for path, leaf in leaves if _dtype_kind(leaf) == "float"]
    names = ["/".join(str(p) for p in path) for path, _ in numeric]
    if not numeric:
        return names, (nan, nan)
    ops = keras.ops
    flat = ops.concatenate([ops.reshape(ops.cast(leaf, "float32"), [-1]) for _, leaf in numeric], 0)
    return names, scale(flat)


def _dtype_kind(leaf):
    """"float", "int" (also uint and bool) or None (strings, non-tensors) for a tensor leaf."""
    import keras  # pylint: disable=import-outside-toplevel

    dtype = getattr(leaf, "dtype", None)
    if dtype is None or isinstance(leaf, (str, bytes)):
        return None
    try:
        name = keras.backend.standardize_dtype(dtype)
    except (ValueError, TypeError, AttributeError):
        return None
    if "float" in name:
        return "float"
    if "int" in name or name == "bool":
        return "int"
    return None


def learning_rate(model):
    """The optimizer's current learning rate (schedules evaluated) as a float, or NaN (host side)."""
    optimizer = getattr(model, "optimizer", None)
    value = None if optimizer is None else getattr(optimizer, "learning_rate", None)
    if value is None:
        return math.nan
    return float(host_value(value))


def normalization_initial_share(model, steps=None):
    """The share of BatchNormalization moving statistics still at their initial values (host side).

    The probe runs with training=False, so BatchNormalization layers normalize
    with their moving mean and variance, which start at 0 and 1 and move
    towards the batch statistics by (1 - momentum) per training step: after n
    steps a share momentum**n is still the initial value. While it is large,
    the probe sees the layers un-normalized (the diagnosis skips those steps).
    The largest momentum of the model's trainable BatchNormalization layers
    counts; 0 without any, NaN without an optimizer. `steps` overrides the
    optimizer's iteration count (a model trained by optimizers of its own).
    """
    momenta = [
        float(layer.momentum)
        for _, layer in _targets.walk(model)
        if type(layer).__name__ == "BatchNormalization" and layer.trainable
    ]
    if not momenta:
        return 0.0
    optimizer = getattr(model, "optimizer", None)
    if steps is None:
        if optimizer is None:
            return math.nan
        steps = host_value(optimizer.iterations)
    return float(np.float64(max(momenta)) ** np.float64(steps))


def host_value(value):
    """A Keras 3 or tf_keras variable or tensor (any backend, any device) as a numpy array."""
    import keras  # pylint: disable=import-outside-toplevel

    if isinstance(value, keras.Variable):
        value = value.value
    if hasattr(value, "detach"):  # torch
        return value.detach().cpu().numpy()
    if hasattr(value, "numpy"):  # TensorFlow tensors and variables
        return np.asarray(value.numpy())
    return np.asarray(value)


def signals_vector(scale, kernel_std, shape, ratio, learning_rate_value):
    """The float64 `signals` vector (`metadata.SIGNALS_FIELDS` up to the learning rate) from device scalars; None is NaN."""
    glorot = math.nan if shape is None else _targets.glorot_std(shape)
    values = list(scale) + [kernel_std, glorot, ratio, learning_rate_value]
    return np.array([math.nan if v is None else float(v) for v in values], np.float64)


def flatten(structure):
    """The leaves of a nest of lists, tuples and dicts (dict values by sorted key), like `tf.nest.flatten`."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def map_structure(function, structure):
    """`structure` with every leaf replaced by `function(leaf)`; lists, tuples and dicts kept."""
    if isinstance(structure, dict):
        return type(structure)((key, map_structure(function, value)) for key, value in structure.items())
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(map_structure(function, item) for item in structure))
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(function, item) for item in structure)
    return function(structure)


_PROTO_DTYPES = {
    np.dtype(np.float64): types_pb2.DT_DOUBLE,
    np.dtype(np.uint8): types_pb2.DT_UINT8,
}


def tensor_proto(array):
    """The `TensorProto` `tensor_util.make_tensor_proto` makes of a float64 or uint8 vector.

    Built directly: `make_tensor_proto` takes about 100 us per call, a tenth of
    a log of a small model.
    """
    return tensor_pb2.TensorProto(
        dtype=_PROTO_DTYPES[array.dtype],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in array.shape]
        ),
        tensor_content=np.ascontiguousarray(array).tobytes(),
    )


def probe_batch(probe_data):
    """The probe batch of `probe_data`: the data itself, or a `tf.data.Dataset`'s first batch.

    A dataset's element is an `(x, y)` or `(x, y, sample_weight)` tuple in
    Keras' convention; its `x` is the probe. Ragged and sparse tensors are
    refused.
    """
    tf = sys.modules.get("tensorflow")  # a tf.data.Dataset implies TensorFlow is imported
    if tf is not None and isinstance(probe_data, tf.data.Dataset):
        try:
            element = next(iter(probe_data.take(1)))
        except StopIteration:
            raise ValueError("SaturationCallback: probe_data is an empty tf.data.Dataset") from None
        probe_data = element[0] if isinstance(element, tuple) else element
    for leaf in flatten(probe_data):
        if tf is not None and isinstance(leaf, (tf.RaggedTensor, tf.SparseTensor)):
            raise TypeError(
                "SaturationCallback: probe_data must hold dense arrays; got a %s. Pad it "
                "(e.g. .to_tensor()) or give a dense batch." % type(leaf).__name__
            )
    return probe_data


def probe_samples(probe_data, same_count=True):
    """Checks a probe batch; returns its number of samples (of its first array).

    `same_count=False` lets the arrays differ in samples (one batch per sub-model).

    Raises:
      TypeError: a leaf is not an array of numbers, booleans or strings.
      ValueError: no leaves, a leaf of rank 0 or without samples, or leaves
        with different numbers of samples.
    """
    leaves = flatten(probe_data)
    if not leaves:
        raise ValueError(
            "SaturationCallback: probe_data must be an array (or a structure of "
            "arrays) of model inputs. Received: probe_data=%r" % (probe_data,)
        )
    counts = set()
    for leaf in leaves:
        array = np.asarray(leaf)
        if array.dtype.kind not in "biufUSO" or (
            array.dtype.kind == "O" and not all(isinstance(v, (str, bytes)) for v in array.ravel())
        ):
            raise TypeError(
                "SaturationCallback: probe_data must hold numbers, booleans or "
                "strings; got dtype %s. Received: probe_data=%s"
                % (array.dtype, _short(probe_data))
            )
        if array.ndim == 0 or array.shape[0] == 0:
            raise ValueError(
                "SaturationCallback: probe_data must have at least one sample on "
                "its first axis; got shape %s. Received: probe_data=%s"
                % (array.shape, _short(probe_data))
            )
        counts.add(array.shape[0])
    if same_count and len(counts) > 1:
        raise ValueError(
            "SaturationCallback: every array of probe_data must have the same "
            "number of samples; got %s. Received: probe_data=%s"
            % (sorted(counts), _short(probe_data))
        )
    return int(np.shape(leaves[0])[0])


def _samples_of(leaf):
    shape = getattr(leaf, "shape", None)
    return int(shape[0]) if shape is not None else int(np.shape(leaf)[0])


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
