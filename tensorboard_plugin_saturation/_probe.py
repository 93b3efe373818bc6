"""The compiled probe of `SaturationCallback`: what to compute on the chosen layers.

Which layers are probed is `_targets.find_targets`'s job. `Probe` runs the
fixed probe batch through the model and computes every layer's statistics (`_tf_statistics.compute`) and signals in
one `tf.function`, traced once; only the statistics, a few hundred numbers per
layer, reach the host, where `Probe.summary()` packs them into one `Summary`
proto with the metadata of `summary.py`. Writing on the host keeps the
compiled function free of any summary writer, so a new writer (each `fit`
opens and closes its own) needs no new trace.

The intermediate tensors are captured while the function is traced: each
target layer's `call` is wrapped for the duration of the trace, so the
captured input and output become nodes of the compiled graph. This works the
same for Sequential, Functional, subclassed and nested models; at run time
nothing is wrapped and nothing runs eagerly per layer.
"""

import keras
import numpy as np
import tensorflow as tf

from tensorboard.compat.proto import summary_pb2
from tensorboard.compat.proto import tensor_pb2
from tensorboard.compat.proto import tensor_shape_pb2
from tensorboard.compat.proto import types_pb2

from tensorboard_plugin_saturation import _tf_statistics
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import _recurrent
from tensorboard_plugin_saturation import _targets


class Probe:
    """The compiled forward pass and statistics of every target layer.

    Args:
      model: The Keras model.
      targets: The `Target`s, from `_targets.find_targets`.
      probe_data: The probe batch: an array or a structure of arrays matching
        the model's inputs; with `submodels`, a dict {sub-model name: batch}.
      eps: The saturation threshold.
      submodels: None to run `model`, else the [(name, sub-model)] to run
        instead (a model that trains with its own `train_step` and has no
        `call`).
      extra: Keys added to every `layer` series' metadata content.
    """

    def __init__(self, model, targets, probe_data, eps, submodels=None, extra=None):
        self._model = model
        self._targets = list(targets)
        self._eps = eps
        self._submodels = None if submodels is None else list(submodels)
        self._extra = dict(extra or {})
        self._probe = tf.nest.map_structure(tf.convert_to_tensor, probe_data)
        self._samples = int(tf.nest.flatten(self._probe)[0].shape[0])
        self._input_features = {}  # target index -> names of the numeric inputs, set while tracing
        if not all(target.layer.built for target in self._targets):
            # Subclassed models build on their first call, which creates the
            # kernels the snapshots copy: make it here, once, eagerly.
            self._run_model(self._probe)
        kernels = [_target_kernel(target) for target in self._targets]
        with tf.init_scope():
            self._snapshots = [
                None if k is None else tf.Variable(tf.zeros(k.shape, tf.float32), trainable=False)
                for k in kernels
            ]
            self._has_snapshot = tf.Variable(False, trainable=False)
        self._statistics = tf.function(self._compute)
        self._metadata = None

    def _run_model(self, probe):
        if self._submodels is None:
            self._model(probe, training=False)
        else:
            for name, submodel in self._submodels:
                submodel(probe[name], training=False)

    @property
    def model(self):
        return self._model

    @property
    def targets(self):
        return list(self._targets)

    def compile(self):
        """Traces the compiled function (once); raises if the model cannot take the probe."""
        self._statistics.get_concrete_function(self._probe)

    def summary(self):
        """Runs the probe; returns a `Summary` with the three series of every layer.

        The values and metadata are those of `summary.saturation_pb` for the
        `layer` and `units` series, plus the `signals` series.
        """
        results = [
            tuple(t.numpy() for t in result) for result in self._statistics(self._probe)
        ]
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
        extra = dict(self._extra, framework="keras")
        if target.output:
            extra["output"] = True
        if target.group is not None:
            extra.update(group=target.group, gate=target.gate)
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
        features = self._input_features.get(target.index)
        if features is not None:
            signals["inputFeatures"] = features
        signals_md = metadata.create_summary_metadata(
            target.tag + metadata.SIGNALS_SUFFIX, None, signals
        )
        return layer_md, units_md, signals_md

    def _compute(self, probe):
        captured = _forward(self._model, self._run_model, [t.layer for t in self._targets], probe)
        learning_rate = _learning_rate(getattr(self._model, "optimizer", None))
        normalization = _normalization_initial_share(self._model)
        first = tf.logical_not(self._has_snapshot.read_value())
        recurrences = {}
        results = []
        for target, snapshot in zip(self._targets, self._snapshots):
            args, kwargs, outputs = captured[id(target.layer)]
            inputs = args[0] if args else next(iter(kwargs.values()))
            data = _tf_statistics.validate(_values(target, args, kwargs, outputs, recurrences))
            layer, units = _tf_statistics.compute(data, target.activation, self._eps)
            features, scale = _input_scale_of(inputs)
            if features is not None:
                self._input_features[target.index] = features
            signals = tf.stack(
                list(scale)
                + list(_kernel_signals(_target_kernel(target), snapshot, first,
                                       _glorot_shape(target)))
                + [learning_rate, normalization]
            )
            results.append((layer, units, signals))
        with tf.control_dependencies([signals for _, _, signals in results]):
            self._has_snapshot.assign(True)
        return results


def _values(target, args, kwargs, outputs, recurrences):
    """The logged values of a target: the layer's output, or its recomputed gate.

    A recurrent layer's gates are recomputed once (`recurrences` caches them);
    with a mask, only the unmasked (sequence, time step) pairs are samples.
    """
    if target.gate is None:
        return tf.nest.flatten(outputs)[0]
    recurrence = recurrences.get(id(target.layer))
    if recurrence is None:
        recurrence = _recurrent.recompute(target.layer, *_recurrent.call_arguments(args, kwargs))
        recurrences[id(target.layer)] = recurrence
    values = recurrence.gates[target.gate]
    if recurrence.mask is not None:
        values = tf.boolean_mask(values, recurrence.mask)
    return values


def _target_kernel(target):
    """The kernel whose signals a target logs: the layer's, or the block feeding its gate."""
    if target.gate is not None:
        return _recurrent.gate_kernel(target.layer, target.gate)
    return _kernel(target.layer)


def _glorot_shape(target):
    """The shape the kernel's initializer saw (a recurrent layer's whole input kernel)."""
    if target.gate is not None:
        return _recurrent.kernel_shape(target.layer)
    kernel = getattr(target.layer, "kernel", None)
    return None if kernel is None else tuple(kernel.shape)


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


def _forward(model, run_model, layers, probe):
    """Runs `run_model(probe)`; returns {id(layer): (args, kwargs, output)} of each layer's call.

    Each layer's first call in the graph being traced is captured; calls that
    Keras makes in scratch graphs (shape inference while building) are not.
    Raises ValueError if a layer is not called by the model's forward pass.
    """
    graph = tf.compat.v1.get_default_graph()
    captured = {}
    restore = []
    try:
        for layer in layers:
            if all(layer is not other for other in layers[:layers.index(layer)]):
                restore.append(_wrap_call(layer, graph, captured))
        run_model(probe)
    finally:
        for undo in reversed(restore):
            undo()
    missing = [layer.name for layer in layers if id(layer) not in captured]
    if missing:
        raise ValueError(
            "SaturationCallback: layers %s are not called by the forward pass of "
            "model %r" % (sorted(set(missing)), model.name)
        )
    return captured


def _wrap_call(layer, graph, captured):
    """Wraps the method `Layer.__call__` dispatches to; returns the undo."""
    name = "quantized_call" if getattr(layer, "quantization_mode", None) else "call"
    own = vars(layer).get(name)
    original = getattr(layer, name)

    def recording_call(*args, **kwargs):
        outputs = original(*args, **kwargs)
        output = tf.nest.flatten(outputs)[0]
        if id(layer) not in captured and getattr(output, "graph", None) is graph:
            captured[id(layer)] = (args, kwargs, outputs)
        return outputs

    object.__setattr__(layer, name, recording_call)  # bypass Keras' attribute tracking

    def undo():
        if own is None:
            object.__delattr__(layer, name)
        else:
            object.__setattr__(layer, name, own)

    return undo


def _kernel(layer):
    kernel = getattr(layer, "kernel", None)
    return None if kernel is None else tf.convert_to_tensor(kernel)


def _nan():
    return tf.constant(float("nan"), tf.float64)


def _input_scale_of(inputs):
    """(names, (std, max |x|)) of a layer's input over its floating-point values.

    A structured input (a dict or list of tensors) is scaled over its float
    leaves only (string and integer features are categories, not scales);
    `names` are their paths ("age", "0"), None for a single tensor.
    """
    leaves = keras.tree.flatten_with_path(inputs)
    if len(leaves) == 1 and not leaves[0][0]:
        leaf = leaves[0][1]
        if tf.is_tensor(leaf) and (leaf.dtype.is_floating or leaf.dtype.is_integer):
            return None, _input_scale(leaf)
        return None, (_nan(), _nan())
    numeric = [(path, leaf) for path, leaf in leaves
               if tf.is_tensor(leaf) and leaf.dtype.is_floating]
    names = ["/".join(str(p) for p in path) for path, _ in numeric]
    if not numeric:
        return names, (_nan(), _nan())
    flat = tf.concat([tf.reshape(tf.cast(leaf, tf.float32), [-1]) for _, leaf in numeric], 0)
    return names, _input_scale(flat)


def _input_scale(inputs):
    """Population std and max |x| of the finite values of a layer's input.

    Reduced in float32 (the input's own precision for float32 models; the
    result is a diagnostic scale, not a statistic of record), then float64.
    Finite data, the common case, takes four passes; only when a result is
    not finite are the non-finite values masked out and the scale recomputed.
    """
    x = tf.reshape(tf.cast(inputs, tf.float32), [-1])
    plain = _scale(x)
    finite = tf.logical_and(tf.math.is_finite(plain[0]), tf.math.is_finite(plain[1]))
    std, max_abs = tf.cond(finite, lambda: plain, lambda: _masked_scale(x))
    return tf.cast(std, tf.float64), tf.cast(max_abs, tf.float64)


def _scale(x):
    centred = x - tf.reduce_mean(x)
    return tf.sqrt(tf.reduce_mean(centred * centred)), tf.reduce_max(tf.abs(x))


def _masked_scale(x):
    finite = tf.math.is_finite(x)
    zeros = tf.zeros_like(x)
    n = tf.cast(tf.reduce_sum(tf.cast(finite, tf.int32)), tf.float32)
    mean = tf.reduce_sum(tf.where(finite, x, zeros)) / n
    centred = tf.where(finite, x - mean, zeros)
    std = tf.sqrt(tf.reduce_sum(centred * centred) / n)
    max_abs = tf.where(n > 0, tf.reduce_max(tf.where(finite, tf.abs(x), zeros)), float("nan"))
    return std, max_abs


def _kernel_signals(kernel, snapshot, first, glorot_shape=None):
    """kernelStd, glorotStd (of `glorot_shape`, default the kernel's) and updateRatio; updates the snapshot.

    Sums in float32, like the kernel itself, then float64.
    """
    if kernel is None:
        return _nan(), _nan(), _nan()
    k = tf.cast(kernel, tf.float32)
    centred = k - tf.reduce_mean(k)
    kernel_std = tf.sqrt(tf.cast(tf.reduce_mean(centred * centred), tf.float64))
    glorot = tf.constant(_targets.glorot_std(glorot_shape or kernel.shape), tf.float64)
    last = snapshot.read_value()
    change = k - last
    ratio = tf.where(
        first,
        _nan(),
        tf.sqrt(
            tf.cast(tf.reduce_sum(change * change), tf.float64)
            / tf.cast(tf.reduce_sum(last * last), tf.float64)
        ),
    )
    with tf.control_dependencies([ratio]):
        snapshot.assign(k)
    return kernel_std, glorot, ratio


def _learning_rate(optimizer):
    """The optimizer's current learning rate (schedules evaluated), or NaN."""
    if optimizer is None:
        return _nan()
    value = optimizer.learning_rate
    if value is None:
        return _nan()
    return tf.cast(tf.convert_to_tensor(value), tf.float64)


def _normalization_initial_share(model):
    """The share of BatchNormalization moving statistics still at their initial values.

    The probe runs with training=False, so BatchNormalization layers normalize
    with their moving mean and variance, which start at 0 and 1 and move
    towards the batch statistics by (1 - momentum) per training step: after n
    steps a share momentum**n is still the initial value. While it is large,
    the probe sees the layers un-normalized (the diagnosis skips those steps).
    The largest momentum of the model's trainable BatchNormalization layers
    counts; 0 without any, NaN without an optimizer.
    """
    momenta = [
        float(layer.momentum)
        for _, layer in _targets.walk(model)
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]
    if not momenta:
        return tf.constant(0.0, tf.float64)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return _nan()
    steps = tf.cast(tf.convert_to_tensor(optimizer.iterations), tf.float64)
    return tf.pow(tf.constant(max(momenta), tf.float64), steps)


def probe_batch(probe_data):
    """The probe batch of `probe_data`: the data itself, or a `tf.data.Dataset`'s first batch.

    A dataset's element is an `(x, y)` or `(x, y, sample_weight)` tuple in
    Keras' convention; its `x` is the probe. Ragged and sparse tensors are
    refused.
    """
    if isinstance(probe_data, tf.data.Dataset):
        try:
            element = next(iter(probe_data.take(1)))
        except StopIteration:
            raise ValueError("SaturationCallback: probe_data is an empty tf.data.Dataset") from None
        probe_data = element[0] if isinstance(element, tuple) else element
    for leaf in tf.nest.flatten(probe_data):
        if isinstance(leaf, (tf.RaggedTensor, tf.SparseTensor)):
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
    leaves = tf.nest.flatten(probe_data)
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


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
