"""Saturation summaries: a TF2 op and a framework-free protobuf path.

Both write, per call, two series for the layer `NAME`: the statistics
(`NAME`) and the per-unit saturated shares (`NAME/units`); see `metadata.py`.
The numbers are defined by `numpy_statistics.py`, whose docstring has the edge-case
table. Importing this module does not import TensorFlow.
"""

import logging
import threading

import numpy as np
from tensorboard.compat.proto import summary_pb2
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import numpy_statistics

logger = logging.getLogger(__name__)

_warned_tags = set()
_warned_lock = threading.Lock()


def saturation(
    name,
    data,
    step=None,
    description=None,
    *,
    activation="sigmoid",
    eps=activations_lib.DEFAULT_EPS,
    layer_index=None,
):
    """Writes the saturation statistics of one layer's activations.

    The statistics are computed with TF ops on the device that holds `data`;
    only a few hundred bytes per layer reach the host. Works eagerly and inside
    `tf.function`, in the style of `tf.summary.histogram`.

    ```python
    writer = tf.summary.create_file_writer("logs/run1")
    with writer.as_default():
        for step, (x, y) in enumerate(dataset):
            hidden = model.get_layer("dense_1")(x)
            sat.summary.saturation("dense_1", hidden, step=step, activation="sigmoid")
    ```

    Args:
      name: A name for this layer. The tag is this name, prefixed by any active
        name scopes.
      data: Activations (outputs of the nonlinearity): a float or integer
        tensor of rank >= 1 whose last axis, of static size, is units.
      step: Explicit int64-castable step. Defaults to
        `tf.summary.experimental.get_step()`.
      description: Optional long-form Markdown description.
      activation: The activation that produced `data`, a name of
        `activations.ACTIVATIONS` (`"sigmoid"`, `"tanh"`, `"relu"`,
        `"hard_sigmoid"`, `"relu6"`, `"softsign"`, `"elu"`, `"selu"`,
        `"hard_tanh"`) or a parametrised one: `"relu(max_value=V)"`
        (`keras.layers.ReLU(max_value=V)`), `"elu(alpha=V)"`,
        `"hard_sigmoid(slope=V)"` (Keras 2's hard sigmoid has slope 0.2).
      eps: Distance from an asymptote under which a value counts as saturated
        (activations that only approach their ends: sigmoid, tanh, softsign,
        elu, selu), in (0, 0.5).
      layer_index: Optional position of the layer in the network, used to order
        layers in the dashboard (default: natural order of the tags).

    Returns:
      True on success, False if no default summary writer was available.

    Values outside the activation's range (pre-activations passed by mistake)
    are counted in `outOfRange` and, when run eagerly, logged as a warning once
    per tag.

    Raises:
      TypeError: `data` is not real numbers, or `activation`/`eps` are of the
        wrong type.
      ValueError: `data` has rank 0 or an unknown or zero last axis; an
        unsupported activation; `eps` outside (0, 0.5); or no `step` was given
        and `tf.summary.experimental.get_step()` is None.
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    from tensorboard_plugin_saturation import _tf_statistics  # pylint: disable=g-import-not-at-top

    act = activations_lib.get(activation)
    eps = activations_lib.check_eps(eps)
    _check_layer_index(layer_index)
    data = _tf_statistics.validate(data)
    units = data.shape[-1]
    with tf.summary.experimental.summary_scope(
        name, "saturation_summary", values=[data, step]
    ) as (tag, _):
        layer_md, units_md = metadata.create_layer_metadata(tag, description, act, eps, units, layer_index)
        computed = []

        def statistics_of(index):
            def lazy():
                if not computed:
                    computed.append(_tf_statistics.compute(data, act, eps))
                return computed[0][index]

            return lazy

        written = tf.summary.write(tag, statistics_of(0), step=step, metadata=layer_md)
        tf.summary.write(tag + metadata.UNITS_SUFFIX, statistics_of(1), step=step, metadata=units_md)
        if computed and tf.executing_eagerly():
            _warn_if_out_of_range(tag, act, computed[0][0].numpy())
        return written


def saturation_pb(
    tag,
    data,
    description=None,
    *,
    activation="sigmoid",
    eps=activations_lib.DEFAULT_EPS,
    layer_index=None,
):
    """Returns a `Summary` proto with the saturation statistics of `data`.

    Needs only numpy: use it from PyTorch, JAX or plain numpy and write the
    result with TensorBoard's `EventFileWriter` (or PyTorch's
    `SummaryWriter.file_writer.add_summary`). Same payload as `saturation()`.

    ```python
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter("logs/run1")
    summary = sat.summary.saturation_pb("dense_1", hidden.numpy(), activation="tanh")
    writer.add_event(event_pb2.Event(step=step, wall_time=time.time(), summary=summary))
    ```

    Args:
      tag: The layer's tag.
      data: Activations, array-like of real numbers, rank >= 1, last axis units.
      description: Optional long-form Markdown description.
      activation, eps, layer_index: as for `saturation()`.

    Returns:
      A `summary_pb2.Summary` with two values: `tag` and `tag + "/units"`.

    Raises:
      TypeError, ValueError: as for `saturation()`.
    """
    act = activations_lib.get(activation)
    eps = activations_lib.check_eps(eps)
    _check_layer_index(layer_index)
    stats = numpy_statistics.compute(data, act.name, eps)
    _warn_if_out_of_range(tag, act, stats.layer)
    layer_md, units_md = metadata.create_layer_metadata(
        tag, description, act, eps, len(stats.units), layer_index
    )
    summary = summary_pb2.Summary()
    summary.value.add(
        tag=tag, metadata=layer_md, tensor=tensor_util.make_tensor_proto(stats.layer)
    )
    summary.value.add(
        tag=tag + metadata.UNITS_SUFFIX,
        metadata=units_md,
        tensor=tensor_util.make_tensor_proto(stats.units, dtype=np.uint8),
    )
    return summary


def _check_layer_index(layer_index):
    if layer_index is None:
        return
    if isinstance(layer_index, bool) or not isinstance(layer_index, (int, np.integer)):
        raise TypeError(
            "layer_index must be an int or None; got %r of type %s"
            % (layer_index, type(layer_index).__name__)
        )
    if layer_index < 0:
        raise ValueError("layer_index must be >= 0; got %d" % layer_index)


def _warn_if_out_of_range(tag, act, layer_vector):
    """Warns once per tag when values fall outside the activation's range.

    That usually means pre-activations were passed instead of activations. The
    share is also logged (`outOfRange`), which is how `tf.function` callers,
    who get no warning, see it in the tab.
    """
    share = float(numpy_statistics.field(layer_vector, "outOfRange"))
    if not share > 0:
        return
    with _warned_lock:
        if tag in _warned_tags:
            return
        _warned_tags.add(tag)
    logger.warning(
        "saturation data for %r: %.1f%% of the values are outside the %s range [%g, %g]; "
        "pass activations (outputs of the nonlinearity), not pre-activations",
        tag, 100 * share, act.name, act.low, act.high,
    )
