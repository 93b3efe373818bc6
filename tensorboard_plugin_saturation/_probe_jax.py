"""The probe on Keras 3's JAX backend: one `jax.jit`, compiled once; no TensorFlow.

The forward pass runs statelessly (`keras.StatelessScope`) on the model's
variable values passed as arguments, so one compiled function serves every
log while training changes them. The captured layer outputs come back as
device arrays; their statistics are computed by `numpy_statistics` on the
host (on CPU, where JAX arrays live in host memory, that is measured as fast
as the fused TF op's share of a log: see benchmarks/README.md). The signals
are reduced inside the compiled function (`_ops_signals`).
"""

import jax
import keras
import numpy as np

from tensorboard_plugin_saturation import _ops_signals
from tensorboard_plugin_saturation import _probe
from tensorboard_plugin_saturation import numpy_statistics


class JaxProbe(_probe.BackendProbe):
    """`_probe.Probe`'s compiled part on JAX; see `_probe.backend_probe`."""

    def __init__(self, forward, targets, probe_data, eps):
        super().__init__(forward, targets, probe_data, eps, keras.ops.convert_to_tensor)
        self._variables = list(forward.model.variables)
        self._kernel_shapes = [_probe.kernel_shape(target) for target in targets]
        self.compiled = None

    def compile(self):
        if self.compiled is None:
            self.compiled = (
                jax.jit(self._compute)
                .lower(self._values(), self._zero_snapshots(), self._probe)
                .compile()
            )

    def run(self, snapshots):
        self.compile()
        outputs = self.compiled(
            self._values(), self._zero_snapshots() if snapshots is None else snapshots, self._probe
        )
        learning_rate = _probe.learning_rate(self._forward.model)
        results, new_snapshots = [], []
        for target, (data, mask, scale, kernel_std, ratio, snapshot) in zip(self._targets, outputs):
            data = np.asarray(data)
            if mask is not None:
                data = data[np.asarray(mask)]
            statistics = numpy_statistics.compute(data, target.activation.name, self._eps)
            signals = _probe.signals_vector(scale, kernel_std, _probe.glorot_shape(target), ratio, learning_rate)
            results.append((statistics.layer, statistics.units, signals))
            new_snapshots.append(snapshot)
        return results, new_snapshots

    def _values(self):
        return [variable.value for variable in self._variables]

    def _zero_snapshots(self):
        return [None if shape is None else jax.numpy.zeros(shape, "float32") for shape in self._kernel_shapes]

    def _compute(self, values, snapshots, probe):
        trace = getattr(_probe.flatten(probe)[0], "_trace", None)
        with keras.StatelessScope(state_mapping=list(zip(self._variables, values))):
            captured = self._capture(
                lambda: self._forward(probe),
                lambda output: getattr(output, "_trace", None) is trace,
            )
            recurrences = {}
            results = []
            for target, snapshot in zip(self._targets, snapshots):
                data, mask, scale = self._values_and_scale(
                    target, captured, recurrences, _ops_signals.input_scale, None
                )
                kernel = _probe.target_kernel(target)
                if kernel is None:
                    kernel_std = ratio = new_snapshot = None
                else:
                    kernel_std, ratio, new_snapshot = _ops_signals.kernel_signals(kernel, snapshot)
                results.append((data, mask, scale, kernel_std, ratio, new_snapshot))
        return results
