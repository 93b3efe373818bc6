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

import numpy as np
import tensorflow as tf

from tensorboard.compat.proto import summary_pb2
from tensorboard.compat.proto import tensor_pb2
from tensorboard.compat.proto import tensor_shape_pb2
from tensorboard.compat.proto import types_pb2

from tensorboard_plugin_saturation import _tf_statistics
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import _targets


class Probe:
    """The compiled forward pass and statistics of every target layer.

    Args:
      model: The Keras model.
      targets: The `Target`s, from `_targets.find_targets`.
      probe_data: The probe batch: an array or a structure of arrays matching
        the model's inputs.
      eps: The saturation threshold.
    """

    def __init__(self, model, targets, probe_data, eps):
        self._model = model
        self._targets = list(targets)
        self._eps = eps
        self._probe = tf.nest.map_structure(tf.convert_to_tensor, probe_data)
        self._samples = int(tf.nest.flatten(self._probe)[0].shape[0])
        if not all(target.layer.built for target in self._targets):
            # Subclassed models build on their first call, which creates the
            # kernels the snapshots copy: make it here, once, eagerly.
            model(self._probe, training=False)
        kernels = [getattr(target.layer, "kernel", None) for target in self._targets]
        with tf.init_scope():
            self._snapshots = [
                None if k is None else tf.Variable(tf.zeros(k.shape, tf.float32), trainable=False)
                for k in kernels
            ]
            self._has_snapshot = tf.Variable(False, trainable=False)
        self._statistics = tf.function(self._compute)
        self._metadata = None

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
        layer_md, units_md = metadata.create_layer_metadata(
            target.tag,
            "Output of %s layer `%s` (%s) on a fixed probe batch of %d samples."
            % (type(target.layer).__name__, target.layer.name, target.activation.name, self._samples),
            target.activation,
            self._eps,
            units,
            target.index,
        )
        signals_md = metadata.create_summary_metadata(
            target.tag + metadata.SIGNALS_SUFFIX, None, metadata.signals_content(target.tag)
        )
        return layer_md, units_md, signals_md

    def _compute(self, probe):
        captured = _forward(self._model, [t.layer for t in self._targets], probe)
        learning_rate = _learning_rate(getattr(self._model, "optimizer", None))
        first = tf.logical_not(self._has_snapshot.read_value())
        results = []
        for target, snapshot in zip(self._targets, self._snapshots):
            inputs, outputs = captured[id(target.layer)]
            data = _tf_statistics.validate(outputs)
            layer, units = _tf_statistics.compute(data, target.activation, self._eps)
            signals = tf.stack(
                list(_input_scale(inputs))
                + list(_kernel_signals(_kernel(target.layer), snapshot, first))
                + [learning_rate]
            )
            results.append((layer, units, signals))
        with tf.control_dependencies([signals for _, _, signals in results]):
            self._has_snapshot.assign(True)
        return results


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


def _forward(model, layers, probe):
    """Calls `model` on `probe`; returns {id(layer): (first input, output)}.

    Each layer's first call in the graph being traced is captured; calls that
    Keras makes in scratch graphs (shape inference while building) are not.
    Raises ValueError if a layer is not called by the model's forward pass.
    """
    graph = tf.compat.v1.get_default_graph()
    captured = {}
    restore = []
    try:
        for layer in layers:
            restore.append(_wrap_call(layer, graph, captured))
        model(probe, training=False)
    finally:
        for undo in reversed(restore):
            undo()
    missing = [layer.name for layer in layers if id(layer) not in captured]
    if missing:
        raise ValueError(
            "SaturationCallback: layers %s are not called by the forward pass of "
            "model %r" % (missing, model.name)
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
            inputs = args[0] if args else next(iter(kwargs.values()))
            captured[id(layer)] = (tf.nest.flatten(inputs)[0], output)
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


def _kernel_signals(kernel, snapshot, first):
    """kernelStd, glorotStd and updateRatio; updates the snapshot.

    Sums in float32, like the kernel itself, then float64.
    """
    if kernel is None:
        return _nan(), _nan(), _nan()
    k = tf.cast(kernel, tf.float32)
    centred = k - tf.reduce_mean(k)
    kernel_std = tf.sqrt(tf.cast(tf.reduce_mean(centred * centred), tf.float64))
    glorot = tf.constant(_targets.glorot_std(kernel.shape), tf.float64)
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


def probe_samples(probe_data):
    """Checks a probe batch; returns its number of samples.

    Raises:
      TypeError: a leaf is not an array of real numbers or booleans.
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
        if array.dtype.kind not in "biuf":
            raise TypeError(
                "SaturationCallback: probe_data must hold real numbers; got dtype "
                "%s. Received: probe_data=%s" % (array.dtype, _short(probe_data))
            )
        if array.ndim == 0 or array.shape[0] == 0:
            raise ValueError(
                "SaturationCallback: probe_data must have at least one sample on "
                "its first axis; got shape %s. Received: probe_data=%s"
                % (array.shape, _short(probe_data))
            )
        counts.add(array.shape[0])
    if len(counts) > 1:
        raise ValueError(
            "SaturationCallback: every array of probe_data must have the same "
            "number of samples; got %s. Received: probe_data=%s"
            % (sorted(counts), _short(probe_data))
        )
    return counts.pop()


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
