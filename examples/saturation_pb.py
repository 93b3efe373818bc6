"""Any framework (numpy here): saturation_pb computes the statistics, EventWriter writes them; no TensorFlow.

    python examples/saturation_pb.py [LOG_DIR]    # default logs/numpy
"""
import sys

import numpy as np

import tensorboard_plugin_saturation as sat

log_dir = sys.argv[1] if len(sys.argv) > 1 else "logs/numpy"
rng = np.random.default_rng(0)
x = rng.standard_normal((256, 32))
weights = rng.standard_normal((32, 64)) * 0.1
with sat.EventWriter(log_dir) as writer:
    for step in range(0, 100, 10):
        hidden = np.tanh(x @ weights)  # the activations: outputs of the nonlinearity
        writer.add_summary(sat.summary.saturation_pb("hidden", hidden, activation="tanh"), step=step)
        weights *= 1.3  # growing weights: the tanh units saturate
