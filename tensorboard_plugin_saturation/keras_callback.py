"""`SaturationCallback`: logs the saturation of a Keras model's layers while it trains."""

import collections
import json
import os
import warnings

import keras

from tensorboard_plugin_saturation import _event_writer
from tensorboard_plugin_saturation import _legacy_keras
from tensorboard_plugin_saturation import _probe
from tensorboard_plugin_saturation import _targets
from tensorboard_plugin_saturation import activations as activations_lib


class SaturationCallback(keras.callbacks.Callback, _legacy_keras.CallbackHooks):
    """Logs per-layer saturation statistics for the Saturation tab of TensorBoard.

    Every layer whose output is an activation `activations.py` has a record
    for (sigmoid, tanh, relu, relu6, hard_sigmoid, softsign, elu, selu,
    hard_tanh), whether the `activation=` of `Dense`, `EinsumDense` and
    convolution layers or a standalone `Activation`, `ReLU` or `ELU` layer,
    anywhere inside the model (nested models, custom `Layer`s, wrappers), and
    every gate of its LSTM, GRU and SimpleRNN layers
    (`NAME/input`, `NAME/forget`, ...: recomputed from the layer's weights by
    `_recurrent.py`, over every time step), is probed with the fixed batch
    `probe_data`: once before training starts and then every `update_freq`.
    A model with its own `train_step` and no `call()` (a VAE, a GAN) is probed
    through its sub-models. Layers with an activation the plugin has no record
    for are named in one warning per `fit`. Per layer and step it logs three
    series into `log_dir` (one TensorBoard run):

    - `NAME`: the saturation statistics and histogram of the layer's output,
      the same payload as `summary.saturation()`;
    - `NAME/units`: the share of probe samples in which each unit is saturated
      (relu: off);
    - `NAME/signals`: what tells the causes apart: the std and max |x| of the
      layer's input, the kernel's std beside the Glorot std
      sqrt(2 / (fan_in + fan_out)), the relative update size of the kernel
      since the previous log |W - W_prev| / |W_prev| (NaN at the first log),
      and the optimizer's learning rate at the step (schedules evaluated).
      Values that do not apply are NaN (layers without a kernel, such as
      `Activation`).

    The step is the optimizer's iteration count (0 before the first update),
    or the callback's count of trained batches when `model.optimizer` never
    steps (a GAN training with optimizers of its own); a step already logged, such as the last step of a previous `fit` with the
    same callback, is not logged again. `NAME` is the layer's name; when
    nested models hold layers of the same name, their path
    (`"encoder/dense"`). Layers are numbered in the order of `model.layers`,
    nested models and custom layers expanded in place, which is the order the
    dashboard shows them in. A layer whose output is the tensor the model
    returns (found while the probe is traced) is marked `"output": true`.

    The forward pass of the probe batch and the statistics of all layers run
    in the backend's compiled function (`tf.function` on TensorFlow and
    tf_keras, `jax.jit` on JAX, eager under `torch.no_grad()` on torch; see
    `_probe.py`); only a few hundred numbers per layer reach the host. The
    JAX and torch backends import no TensorFlow. The event file writer is
    created at the first log and closed in `on_train_end`: a `fit` that logs
    nothing leaves no event file.

    A failure while logging (an unwritable `log_dir`, a probe batch the model
    cannot take) never stops training: it warns once and logging stops for the
    rest of that `fit`. A model without a supported layer warns once and logs
    nothing.

    The same class is a tf_keras (legacy Keras 2) callback.

    Distributed training: with `tf.distribute.MirroredStrategy` the callback
    runs once per step on the host, so each layer gets one value per step.
    With several workers only the chief writes: the task of the model's
    strategy (`cluster_resolver.task_type`/`task_id`), or else of the
    `TF_CONFIG` environment variable, writes if it is the `"chief"`, or
    `"worker"` 0 in a cluster without a chief, or if there is no cluster
    (a single process). Other workers, parameter servers and evaluators
    neither create a writer nor run the probe.

    Examples:

    ```python
    import tensorboard_plugin_saturation as sat

    callback = sat.SaturationCallback("logs/run1", probe_data=x_train[:256])
    model.fit(x_train, y_train, epochs=10, callbacks=[callback])
    # then: tensorboard --logdir logs, and open the Saturation tab
    ```

    ```python
    # Every 100 steps, two chosen layers only:
    callback = sat.SaturationCallback(
        "logs/run2", x_train[:256], update_freq=100, layers=["hidden_1", "hidden_2"]
    )
    ```

    Args:
      log_dir: Directory (str or path-like) of the run to write.
      probe_data: The fixed batch the layers are probed with: an array of model
        inputs (samples on the first axis), a list/dict of arrays for a model
        with several inputs (strings allowed), a `tf.data.Dataset` (its first
        batch), or, for a model without `call()`, a dict {sub-model name:
        batch}. A few hundred samples are plenty; the probe's
        activations live on the device during each log.
      update_freq: `"epoch"` to log after every epoch, or an int N to log
        whenever the optimizer's iteration count reaches a multiple of N
        (every N batches). `"batch"` means 1. Logging at the start of
        training cannot be disabled.
      layers: None to probe every supported layer, or a list of layer names
        (searched in nested models too) or layer objects. Each must have a
        supported activation.
      eps: Distance from an asymptote under which a sigmoid/tanh value counts
        as saturated, in (0, 0.5).

    Raises:
      TypeError: An argument is of the wrong kind.
      ValueError: An argument has a bad value. Raised by `fit` (from
        `on_train_begin`, before training): a name in `layers` matches no
        layer, a layer in `layers` has no supported activation, or a model
        without `call()` has no sub-model that takes `probe_data`.
    """

    def __init__(
        self,
        log_dir,
        probe_data,
        *,
        update_freq="epoch",
        layers=None,
        eps=activations_lib.DEFAULT_EPS,
    ):
        super().__init__()
        self.log_dir = _check_log_dir(log_dir)
        probe_data = _probe.probe_batch(probe_data)
        # A dict may give one batch per sub-model, each of its own size.
        _probe.probe_samples(probe_data, same_count=not isinstance(probe_data, dict))
        self.probe_data = probe_data
        self.update_freq = _check_update_freq(update_freq)
        self.layers = _check_layers(layers)
        self.eps = _check_eps(eps)
        self._probe = None
        self._writer = None
        self._active = False
        self._last_step = None  # the last step logged
        self._known_step = 0  # the step when last read
        self._unread_batches = 0  # optimizer steps at most since then
        self._batches_begun = 0  # the index of the last batch begun in the epoch
        self._steps_per_execution = None  # of the current fit, read when first needed
        self._batches_trained = 0  # over every fit: the step when the optimizer never steps
        self._epoch_start = 0  # _batches_trained at the start of the epoch
        self._counting = False  # True once the step is _batches_trained
        self._warned = False

    def on_train_begin(self, logs=None):
        self._active = False
        self._steps_per_execution = None
        if not is_chief(*_task_of(getattr(self.model, "distribute_strategy", None))):
            return
        plan = _plan(self.model, self.probe_data)
        targets = _targets.find_targets(self.model, self.layers, plan.roots)
        skipped = [] if self.layers else _targets.skipped_layers(self.model, plan.roots)
        if not targets:
            self._warn(
                "SaturationCallback: model %r has no layer whose activation is "
                "supported by the plugin; nothing is logged to %r.%s"
                % (self.model.name, self.log_dir, _skipped_text(skipped))
            )
            return
        if skipped:
            warnings.warn("SaturationCallback: model %r:%s" % (self.model.name, _skipped_text(skipped)),
                          RuntimeWarning, stacklevel=2)
        self._active = True
        self._log_safely(targets, plan=plan)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._batches_trained

    # The callback works at the start of each batch: Keras hands end-of-batch
    # hooks the batch's logs, which makes it wait for the device after every
    # batch (on JAX and torch also for every other callback, which would else
    # run asynchronously). The start of a batch sees the state after the
    # previous update, the same as the end of the previous batch; the end of
    # the epoch covers its last batch.
    def on_train_batch_begin(self, batch, logs=None):
        # `batch` is the index in the epoch of the next batch to train (the
        # first of several with steps_per_execution).
        self._batches_trained = self._epoch_start + batch
        self._batches_begun = batch
        if self._active and self.update_freq != "epoch":
            self._log_if_due()

    def on_epoch_end(self, epoch, logs=None):
        steps = (getattr(self, "params", None) or {}).get("steps")
        if not steps:  # a dataset of unknown length: the last call's batches
            steps = self._batches_begun + self._steps_per_call()
        self._batches_trained = self._epoch_start + steps
        if not self._active:
            return
        if self.update_freq == "epoch":
            self._log_safely()
        else:
            self._log_if_due(at_epoch_end=True)

    def _log_if_due(self, at_epoch_end=False):
        """Logs when the step has reached the next multiple of update_freq."""
        last = -1 if self._last_step is None else self._last_step
        due = (last // self.update_freq + 1) * self.update_freq
        if self._counting:
            if self._batches_trained >= due:
                self._log_safely(step=self._batches_trained)
            return
        # Reading the iteration count waits for the device (and on JAX syncs
        # the model's variables); read it only once it can have reached the
        # next multiple of update_freq: a call trains at most
        # `steps_per_execution` batches, one optimizer step each.
        if not at_epoch_end:
            self._unread_batches += self._steps_per_call() if self._batches_begun else 0
            if self._known_step + self._unread_batches < due:
                return
        self._known_step, self._unread_batches = self._step(), 0
        if self._known_step >= due:
            self._log_safely(step=self._known_step)

    def _steps_per_call(self):
        """`steps_per_execution` of the fit, read once per fit (tf_keras holds it in a variable)."""
        if self._steps_per_execution is None:
            # The raw model: on JAX, Callback.model syncs every variable.
            model = getattr(self, "_model", None) or self.model
            value = getattr(model, "steps_per_execution", 1) or 1
            self._steps_per_execution = max(1, int(value if isinstance(value, int) else _probe.host_value(value)))
        return self._steps_per_execution

    def on_train_end(self, logs=None):
        self._active = False
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.close()
        except Exception as e:  # pylint: disable=broad-except
            self._warn("SaturationCallback: closing the writer of %r failed: %s" % (self.log_dir, e))

    def _step(self):
        """The optimizer's iteration count; the count of trained batches once it stays 0.

        A model that trains with optimizers of its own (a GAN's train_step)
        never steps `model.optimizer`: from the first log that sees batches
        trained and no iteration, the step is the callback's own count.
        """
        if not self._counting:
            iterations = _iterations(self.model)
            if iterations is not None and (iterations > 0 or self._batches_trained == 0):
                return iterations
            self._counting = True
        return self._batches_trained

    def _log_safely(self, targets=None, step=None, plan=None):
        """Logs at the current step; on failure warns once and stops logging."""
        try:
            if targets is not None:
                self._prepare(targets, plan)
            step = self._step() if step is None else step
            self._known_step, self._unread_batches = step, 0
            if step == self._last_step:
                return  # already logged, e.g. at the end of the previous fit
            summary = self._probe.summary(step if self._counting else None)  # a probe the model cannot take fails before any file exists
            if self._writer is None:
                self._writer = _event_writer.EventWriter(self.log_dir)
            self._writer.add_summary(summary, step)
            self._last_step = step
        except Exception as e:  # pylint: disable=broad-except
            self._active = False
            self._warn(
                "SaturationCallback: logging to %r failed; saturation logging is off "
                "for the rest of this fit, training continues. %s: %s"
                % (self.log_dir, type(e).__name__, e)
            )

    def _prepare(self, targets, plan):
        """Builds the probe, or keeps the previous fit's if nothing changed."""
        same = (
            self._probe is not None
            and self._probe.model is self.model
            and self._probe.targets == targets
        )
        if not same:
            extra = {"trainStep": "custom"} if _targets.custom_train_step(self.model) else {}
            features = None if plan.submodels else _targets.numeric_features(self.model, plan.probe_data)
            self._probe = _probe.Probe(
                self.model, targets, plan.probe_data, self.eps, plan.submodels, extra, features
            )

    def _warn(self, message):
        if self._warned:
            return
        self._warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def is_chief(cluster, task_type, task_id):
    """Whether this process writes: True for a single process or the chief.

    Args:
      cluster: The cluster spec as a dict {task type: [addresses]} (may be empty).
      task_type: This task's type (`"chief"`, `"worker"`, `"ps"`,
        `"evaluator"`), or None outside a cluster.
      task_id: This task's index within its type.

    Returns:
      True for no task type, the `"chief"`, or `"worker"` 0 when the cluster
      has no chief; False for every other task.
    """
    if not task_type:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and int(task_id or 0) == 0 and "chief" not in (cluster or {})


def _task_of(strategy):
    """(cluster dict, task type, task id) from the strategy, else from TF_CONFIG."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is not None and getattr(resolver, "task_type", None):
        return resolver.cluster_spec().as_dict(), resolver.task_type, resolver.task_id
    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except ValueError:
        config = {}
    if not isinstance(config, dict):
        return {}, None, None
    task = config.get("task") or {}
    return config.get("cluster") or {}, task.get("type"), task.get("index")


def _iterations(model):
    """The optimizer's iteration count, or None without an optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return int(_probe.host_value(optimizer.iterations))


_Plan = collections.namedtuple("_Plan", ["probe_data", "submodels", "roots"])


def _plan(model, probe_data):
    """What the probe runs: the model on probe_data, or, for a model without
    call(), the sub-models `_targets.submodel_plan` picks. Raises ValueError
    (from fit, before training) when nothing can take probe_data."""
    if _targets.has_call(model):
        _probe.probe_samples(probe_data)
        return _Plan(probe_data, None, None)
    submodels, per_model = _targets.submodel_plan(model, probe_data)
    for name, _ in submodels:
        _probe.probe_samples(per_model[name])
    return _Plan(per_model, submodels, [sub for _, sub in submodels])


def _skipped_text(skipped):
    """The sentence of the one per-fit warning naming every layer left out, and why."""
    if not skipped:
        return ""
    return " %d layer(s) not logged: %s." % (
        len(skipped), "; ".join("%s (%s)" % item for item in skipped))


def _check_log_dir(log_dir):
    if not isinstance(log_dir, (str, os.PathLike)):
        raise TypeError(
            "SaturationCallback: log_dir must be a path (str or os.PathLike). "
            "Received: log_dir=%r" % (log_dir,)
        )
    path = os.fspath(log_dir)
    if not isinstance(path, str) or not path:
        raise ValueError(
            "SaturationCallback: log_dir must be a non-empty path. Received: log_dir=%r"
            % (log_dir,)
        )
    return path


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if isinstance(update_freq, str):
        if update_freq != "epoch":
            raise ValueError(
                "SaturationCallback: update_freq must be 'epoch', 'batch' or a "
                "positive int (batches between logs). Received: update_freq=%r"
                % (update_freq,)
            )
        return update_freq
    if isinstance(update_freq, bool) or not isinstance(update_freq, int):
        raise TypeError(
            "SaturationCallback: update_freq must be 'epoch', 'batch' or a "
            "positive int (batches between logs). Received: update_freq=%r"
            % (update_freq,)
        )
    if update_freq < 1:
        raise ValueError(
            "SaturationCallback: update_freq must be a positive number of "
            "batches, or 'epoch'. Received: update_freq=%r" % (update_freq,)
        )
    return int(update_freq)


def _check_layers(layers):
    if layers is None:
        return None
    if isinstance(layers, (str, keras.layers.Layer)):
        layers = [layers]
    if not isinstance(layers, (list, tuple)):
        raise TypeError(
            "SaturationCallback: layers must be None or a list of layer names or "
            "layers. Received: layers=%r" % (layers,)
        )
    if not layers:
        raise ValueError(
            "SaturationCallback: layers must not be empty (None probes every "
            "supported layer). Received: layers=%r" % (layers,)
        )
    for layer in layers:
        if not isinstance(layer, (str, keras.layers.Layer)):
            raise TypeError(
                "SaturationCallback: each entry of layers must be a layer name "
                "or a keras.layers.Layer. Received: layers=%r" % (layers,)
            )
        if isinstance(layer, str) and not layer:
            raise ValueError(
                "SaturationCallback: layer names must not be empty. Received: "
                "layers=%r" % (layers,)
            )
    return list(layers)


def _check_eps(eps):
    try:
        return activations_lib.check_eps(eps)
    except (TypeError, ValueError) as e:
        raise type(e)("SaturationCallback: %s. Received: eps=%r" % (e, eps)) from None
