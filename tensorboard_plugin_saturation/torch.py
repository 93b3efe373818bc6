"""`SaturationLogger`: logs the saturation of a PyTorch model's activations for the Saturation tab.

Needs torch, not TensorFlow. See `SaturationLogger` and `_torch_targets.py`
(what is found), `_torch_recurrent.py` (LSTM/GRU gates), `_torch_statistics.py`
(the statistics, in torch ops on the model's device).
"""

import math
import os
import warnings

import numpy as np
import torch
from torch import nn

from tensorboard.compat.proto import summary_pb2
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import _event_writer
from tensorboard_plugin_saturation import _torch_recurrent
from tensorboard_plugin_saturation import _torch_statistics
from tensorboard_plugin_saturation import _torch_targets
from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import numpy_statistics

FRAMEWORK = "torch"


class SaturationLogger:
    """Logs per-layer saturation statistics of a PyTorch model into a TensorBoard run.

    ```python
    from tensorboard_plugin_saturation.torch import SaturationLogger

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    with SaturationLogger(model, "logs/run1", x_train[:256], optimizer=optimizer, update_freq=10):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()          # logs BEFORE updates 0, 10, 20, ...
    ```

    What is logged: the output of every `nn.Sigmoid`, `nn.Tanh`, `nn.ReLU`,
    `nn.ReLU6`, `nn.Hardsigmoid`, `nn.Hardtanh` and `nn.ELU` module, of
    functional activations (`torch.sigmoid`, `x.tanh()`, `F.relu`, ...) called
    inside any module's `forward`, the gates of every `nn.LSTM`/`nn.GRU` and
    the state of every `nn.RNN` (tag `"<module>/<gate>"`, recomputed from the
    weights), each as it runs on
    the fixed batch `probe_data` (see `_torch_targets.py` for the tags).
    Activations that `activations.py` does not know are skipped. Per target
    and step, three series as the Keras callback writes: the statistics, the
    per-unit saturated shares and the signals (input std and max |x| of the
    producing layer, its weight's std beside the Glorot std, the relative
    update since the previous log, the learning rate of the weight's
    `param_group`). The metadata records `"framework": "torch"`, `"output":
    true` for an activation the model returns as it is, `"group"`/`"gate"`
    for gates.

    When: with `optimizer`, a step pre-hook logs BEFORE every
    `update_freq`-th `optimizer.step()`: step 0 shows the initialization,
    before any update; the step is the number of updates made so far.
    Without `optimizer`, call `log(step)` yourself.

    How: the probe runs under `torch.no_grad()` in eval mode (dropout off,
    batch norm on its running statistics), each module's train/eval mode is
    restored afterwards; the statistics are computed with torch ops on the
    model's device and only a few hundred numbers per layer reach the host.
    A failure while logging warns once and turns logging off: it never stops
    training. Under `torch.distributed`, only rank 0 probes and writes.

    Args:
      model: The `nn.Module` (`DistributedDataParallel`, `DataParallel` and
        `torch.compile` wrappers are unwrapped: the probe runs the eager
        module, without collectives or recompiles).
      log_dir: The run's directory: a path or a URL (`s3://bucket/run`).
      probe_data: The fixed probe batch: a tensor or array (called as
        `model(probe)`), a tuple/list (`model(*probe)`; nested, e.g.
        `(tokens, (h0, c0))`) or a dict (`model(**probe)`). Moved to the
        model's device once. Units are the last axis of each activation,
        except after convolutions: PyTorch's channels (axis 1).
      optimizer: A `torch.optim.Optimizer` to log before its updates, or None.
      update_freq: Log before every `update_freq`-th update (an int >= 1).
      layers: None for every target found, else a list of tags or modules
        (an activation module's name, an LSTM/GRU/RNN module's name for all its
        gates, or a functional tag such as `"block/sigmoid"`).
      eps: Distance from an asymptote under which a value counts as saturated.

    Raises:
      TypeError, ValueError: a bad argument, a probe batch the model cannot
        take, `layers` naming nothing found, or no target at all.
    """

    def __init__(self, model, log_dir, probe_data, *, optimizer=None, update_freq=10, layers=None,
                 eps=activations_lib.DEFAULT_EPS):
        if not isinstance(model, nn.Module):
            raise TypeError("SaturationLogger: model must be a torch.nn.Module; got %s" % type(model).__name__)
        model = _unwrap(model)
        self.model = model
        self.log_dir = _check_log_dir(log_dir)
        self.update_freq = _check_update_freq(update_freq)
        self.eps = _check_eps(eps)
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "SaturationLogger: optimizer must be a torch.optim.Optimizer or None; got %s"
                % type(optimizer).__name__
            )
        self.optimizer = optimizer
        self.active = _is_rank_zero()
        self._writer = None
        self._warned = False
        self._updates = 0
        self._hook = None
        self._snapshots = {}
        self._metadata = None
        self.targets = []
        if not self.active:
            return
        self._probe = _to_device(_check_probe(probe_data), _device_of(model))
        capture = self._capture(functions=True)
        found = _torch_targets.find_targets(capture)
        self._functions = any(t.kind == "function" for t in found)
        self.targets = _select(found, layers, capture)
        if not self.targets:
            raise ValueError(
                "SaturationLogger: model %s has no sigmoid, tanh, relu (or other known "
                "activation) module, functional activation or LSTM/GRU on the probe batch"
                % type(model).__name__
            )
        if optimizer is not None:
            self._hook = optimizer.register_step_pre_hook(self._before_step)

    def log(self, step):
        """Probes the model and writes every target's series at `step` (an int >= 0)."""
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise TypeError("SaturationLogger.log: step must be an int; got %r" % (step,))
        if step < 0:
            raise ValueError("SaturationLogger.log: step must be >= 0; got %d" % step)
        if not self.active:
            return
        try:
            summary = self.summary()
            if self._writer is None:
                self._writer = _event_writer.EventWriter(self.log_dir)
            self._writer.add_summary(summary, int(step))
            self._writer.flush()
        except Exception as e:  # pylint: disable=broad-except
            self.active = False
            self._warn(
                "SaturationLogger: logging to %r failed; saturation logging is off, training "
                "continues. %s: %s" % (self.log_dir, type(e).__name__, e)
            )

    def summary(self):
        """Probes the model; returns the `Summary` proto of every target (three values each)."""
        capture = self._capture(functions=self._functions)
        gates = {}  # id(recurrent module) -> its recomputed gates, once per probe
        data = [self._data_of(target, capture, gates) for target in self.targets]
        results = []
        for target, captured in zip(self.targets, data):
            layer, unit_saturated, unit_finite = _torch_statistics.compute_on_device(
                captured.output, target.activation, self.eps
            )
            results.append((layer, unit_saturated, unit_finite, self._signals(target, captured)))
        if self._metadata is None:
            self._metadata = [
                self._metadata_of(i, t, d, r[1].numel()) for i, (t, d, r) in enumerate(zip(self.targets, data, results))
            ]
        # two transfers for all targets: the float64 fields and the integer unit counts
        floats = torch.cat([torch.cat([r[0], r[3]]) for r in results]).cpu().numpy()
        counts = torch.cat([torch.cat([r[1], r[2]]) for r in results]).cpu().numpy()
        pb = summary_pb2.Summary()
        offset = unit_offset = 0
        for target, result, mds in zip(self.targets, results, self._metadata):
            layer_len, units = result[0].numel(), result[1].numel()
            layer = floats[offset:offset + layer_len]
            signals = floats[offset + layer_len:offset + layer_len + len(metadata.SIGNALS_FIELDS)]
            offset += layer_len + len(metadata.SIGNALS_FIELDS)
            unit_counts = counts[unit_offset:unit_offset + 2 * units]
            unit_offset += 2 * units
            quantized = numpy_statistics.quantize_units(unit_counts[:units], unit_counts[units:])
            for suffix, array, md in zip(("", metadata.UNITS_SUFFIX, metadata.SIGNALS_SUFFIX),
                                         (layer, quantized, signals), mds):
                pb.value.add(tag=target.tag + suffix, metadata=md, tensor=tensor_util.make_tensor_proto(array))
        return pb

    def close(self):
        """Removes the optimizer hook and closes the event file. Later calls do nothing."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        writer, self._writer = self._writer, None
        self.active = False
        if writer is not None:
            try:
                writer.close()
            except Exception as e:  # pylint: disable=broad-except
                self._warn("SaturationLogger: closing the writer of %r failed: %s" % (self.log_dir, e))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _before_step(self, optimizer, args, kwargs):
        step = self._updates
        self._updates += 1
        if step % self.update_freq == 0 and self.active:
            self.log(step)

    def _capture(self, functions):
        """Runs the probe with no_grad in eval mode; restores every module's mode."""
        modes = [(m, m.training) for m in self.model.modules()]
        capture = _torch_targets.Capture(self.model, functions=functions)
        try:
            self.model.eval()
            with torch.no_grad():
                capture.run(self._probe)
        finally:
            for module, training in modes:
                module.training = training
        return capture

    def _data_of(self, target, capture, gates):
        if target.kind == "gate":
            module, inputs, hx = capture.recurrent[target.key]
            if target.key not in gates:
                with torch.no_grad():
                    gates[target.key] = _torch_recurrent.recompute(module, inputs, hx)
            per_cell, _, layer_inputs = gates[target.key]
            kernel = _torch_recurrent.gate_weight(module, target.cell, target.block)
            return _torch_targets.Captured(
                per_cell[target.cell][target.gate], layer_inputs[target.cell.layer], kernel, False
            )
        if target.key not in capture.activations:
            raise ValueError(
                "SaturationLogger: %r did not run in this forward pass of the probe batch" % target.tag
            )
        _, _, inputs, output = capture.activations[target.key]
        kernel_input, kernel, producer = capture.kernel_of(inputs)
        return _torch_targets.Captured(
            _torch_targets.units_last(output, producer), inputs if kernel is None else kernel_input, kernel,
            capture.is_model_output(output),
        )

    def _signals(self, target, captured):
        """The SIGNALS_FIELDS of one target (float64, device)."""
        device = captured.output.device
        nan = torch.tensor(float("nan"), dtype=torch.float64, device=device)
        input_std, input_max = _input_scale(captured.inputs, nan)
        kernel = captured.kernel
        if kernel is None:
            kernel_std = glorot = ratio = nan
        else:
            k = kernel.detach().to(torch.float32)
            kernel_std = torch.sqrt(((k - k.mean()) ** 2).mean().to(torch.float64))
            glorot = torch.tensor(glorot_std(kernel.shape), dtype=torch.float64, device=device)
            last = self._snapshots.get(target.tag)
            if last is None:
                ratio = nan
            else:
                change = k - last
                ratio = torch.sqrt((change * change).sum().to(torch.float64) / (last * last).sum().to(torch.float64))
            self._snapshots[target.tag] = k.clone()
        lr = torch.tensor(self._learning_rate(kernel), dtype=torch.float64, device=device)
        norm = torch.tensor(self._normalization_initial_share(), dtype=torch.float64, device=device)
        return torch.stack([input_std.to(device), input_max.to(device), kernel_std, glorot, ratio, lr, norm])

    def _normalization_initial_share(self):
        """The share of BatchNorm running statistics still at their initial values.

        The probe runs in eval mode, so BatchNorm modules normalize with their
        running statistics; after n batches a share (1 - momentum)**n of them is
        still the initial 0 and 1 (momentum None: a cumulative average, 0 after
        the first batch). The largest over the model's BatchNorm modules; 0
        without any. The diagnosis skips steps where it is large.
        """
        shares = [0.0]
        for module in self.model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and module.track_running_stats:
                batches = int(module.num_batches_tracked)
                keep = 0.0 if module.momentum is None else 1.0 - module.momentum
                shares.append(keep ** batches if batches else 1.0)
        return max(shares)

    def _learning_rate(self, kernel):
        if self.optimizer is None or not self.optimizer.param_groups:
            return float("nan")
        groups = self.optimizer.param_groups
        group = groups[0]
        if kernel is not None:
            base = kernel._base if kernel._base is not None else kernel  # a gate's rows: their parameter
            group = next((g for g in groups if any(p is base for p in g["params"])), group)
        lr = group.get("lr", float("nan"))
        return float(lr.item() if isinstance(lr, torch.Tensor) else lr)

    def _metadata_of(self, index, target, captured, units):
        description = "%s of PyTorch %s `%s` on a fixed probe batch." % (
            target.activation.name,
            "gate %r of" % target.gate if target.kind == "gate" else
            "functional call in" if target.kind == "function" else "module",
            target.tag,
        )
        extra = metadata.writer_keys(FRAMEWORK, captured.output_of_model, target.group, target.gate)
        return (
            *metadata.create_layer_metadata(
                target.tag, description, target.activation, self.eps, units, index, extra
            ),
            metadata.create_summary_metadata(
                target.tag + metadata.SIGNALS_SUFFIX, None, metadata.signals_content(target.tag)
            ),
        )

    def _warn(self, message):
        if self._warned:
            return
        self._warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def glorot_std(shape):
    """sqrt(2 / (fan_in + fan_out)) of a PyTorch weight ([out, in, *kernel]), NaN below 2 dims."""
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2:
        return float("nan")
    receptive = math.prod(shape[2:])
    return math.sqrt(2.0 / (shape[1] * receptive + shape[0] * receptive))


def _input_scale(inputs, nan):
    """Population std and max |x| of the finite values of `inputs` (float64 scalars), NaN if none."""
    if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point() or inputs.numel() == 0:
        return nan, nan
    x = inputs.detach().reshape(-1).to(torch.float64)
    finite = torch.isfinite(x)
    n = finite.sum()
    zero = torch.zeros((), dtype=torch.float64, device=x.device)
    mean = torch.where(finite, x, zero).sum() / n
    centred = torch.where(finite, x - mean, zero)
    std = torch.sqrt((centred * centred).sum() / n)
    max_abs = torch.where(n > 0, torch.where(finite, x.abs(), zero).max(), nan.to(x.device))
    return std, max_abs


def _select(found, layers, capture):
    if layers is None:
        return found
    if isinstance(layers, (str, nn.Module)):
        layers = [layers]
    if not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(
            "SaturationLogger: layers must be None or a non-empty list of tags or modules; got %r" % (layers,)
        )
    chosen = []
    for entry in layers:
        if isinstance(entry, nn.Module):
            matches = [t for t in found if t.module is entry and t.kind != "function"]
        elif isinstance(entry, str):
            matches = [t for t in found if t.tag == entry or (t.kind == "gate" and capture.path(t.module) == entry)]
        else:
            raise TypeError(
                "SaturationLogger: each entry of layers must be a tag (str) or an nn.Module; got %r" % (entry,)
            )
        if not matches:
            raise ValueError(
                "SaturationLogger: %r is not a logged activation of the model; found: %s"
                % (entry, ", ".join(t.tag for t in found) or "none")
            )
        chosen.extend(t for t in matches if t not in chosen)
    return [t for t in found if t in chosen]


def _unwrap(model):
    """The module the probe runs: inside DDP/DataParallel wrappers and `torch.compile` (eager, same weights)."""
    while True:
        if isinstance(model, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
            model = model.module
        elif isinstance(getattr(model, "_orig_mod", None), nn.Module):  # torch.compile's OptimizedModule
            model = model._orig_mod  # pylint: disable=protected-access
        else:
            return model


def _is_rank_zero():
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def _device_of(model):
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _check_probe(probe):
    """The probe batch as tensors, same structure (nested tuples/lists/dicts allowed, e.g. (x, (h0, c0)))."""
    if isinstance(probe, dict):
        if not probe:
            raise ValueError("SaturationLogger: probe_data must not be an empty dict")
        return {k: _check_probe(v) for k, v in probe.items()}
    if isinstance(probe, (tuple, list)):
        if not probe:
            raise ValueError("SaturationLogger: probe_data must not be empty")
        return type(probe)(_check_probe(v) for v in probe)
    return _as_tensor(probe)


def _as_tensor(value):
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError("SaturationLogger: probe_data arrays must hold numbers; got dtype %s" % value.dtype)
        tensor = torch.from_numpy(np.ascontiguousarray(value))
        if tensor.is_floating_point():
            tensor = tensor.to(torch.get_default_dtype())
    else:
        raise TypeError(
            "SaturationLogger: probe_data must be a tensor or numpy array (or a tuple/list/dict of them); "
            "got %s" % type(value).__name__
        )
    if tensor.dim() == 0 or tensor.shape[0] == 0:
        raise ValueError(
            "SaturationLogger: probe_data must have at least one sample on its first axis; got shape %s"
            % (tuple(tensor.shape),)
        )
    return tensor


def _to_device(probe, device):
    if isinstance(probe, dict):
        return {k: _to_device(v, device) for k, v in probe.items()}
    if isinstance(probe, (tuple, list)):
        return type(probe)(_to_device(v, device) for v in probe)
    return probe.to(device)


def _check_log_dir(log_dir):
    if not isinstance(log_dir, (str, os.PathLike)):
        raise TypeError("SaturationLogger: log_dir must be a path or URL string; got %r" % (log_dir,))
    path = os.fspath(log_dir)
    if not isinstance(path, str) or not path:
        raise ValueError("SaturationLogger: log_dir must be a non-empty path; got %r" % (log_dir,))
    return path


def _check_update_freq(update_freq):
    if isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer)):
        raise TypeError(
            "SaturationLogger: update_freq must be a positive int (updates between logs); got %r" % (update_freq,)
        )
    if update_freq < 1:
        raise ValueError("SaturationLogger: update_freq must be >= 1; got %d" % update_freq)
    return int(update_freq)


def _check_eps(eps):
    try:
        return activations_lib.check_eps(eps)
    except (TypeError, ValueError) as e:
        raise type(e)("SaturationLogger: %s" % e) from None
