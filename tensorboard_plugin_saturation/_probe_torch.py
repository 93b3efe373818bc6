"""The probe on Keras 3's torch backend: one eager forward pass under `torch.no_grad()`; no TensorFlow.

The layer outputs are captured as they are computed, on the model's device.
Their statistics are computed there with torch ops (`_torch_statistics`),
the signals too (`_ops_signals`); only the small results reach the host.
"""

import keras
import torch

from tensorboard_plugin_saturation import _ops_signals
from tensorboard_plugin_saturation import _probe
from tensorboard_plugin_saturation import _torch_statistics


class TorchProbe(_probe.BackendProbe):
    """`_probe.Probe`'s compiled part on torch; see `_probe.backend_probe`."""

    def __init__(self, forward, targets, probe_data, eps):
        super().__init__(forward, targets, probe_data, eps, keras.ops.convert_to_tensor)

    def compile(self):
        """Checks that the model takes the probe batch (eager: nothing to compile)."""
        self.run(None)

    def run(self, snapshots):
        with torch.no_grad():
            captured = self._capture(
                lambda: self._forward(self._probe),
                lambda output: isinstance(output, torch.Tensor),
            )
            learning_rate = _probe.learning_rate(self._forward.model)
            snapshots = [None] * len(self._targets) if snapshots is None else snapshots
            recurrences = {}
            results, new_snapshots = [], []
            for target, snapshot in zip(self._targets, snapshots):
                data, mask, scale = self._values_and_scale(
                    target, captured, recurrences, _ops_signals.input_scale, None
                )
                if mask is not None:
                    data = data[mask]
                layer, units = _torch_statistics.compute(data, target.activation, self._eps)
                kernel = _probe.target_kernel(target)
                kernel_std = ratio = new_snapshot = None
                if kernel is not None:
                    if snapshot is None:
                        snapshot = torch.zeros(tuple(kernel.shape), dtype=torch.float32, device=kernel.device)
                    kernel_std, ratio, new_snapshot = _ops_signals.kernel_signals(kernel, snapshot)
                signals = _probe.signals_vector(scale, kernel_std, _probe.glorot_shape(target), ratio, learning_rate)
                results.append((layer, units, signals))
                new_snapshots.append(new_snapshot)
        return results, new_snapshots
