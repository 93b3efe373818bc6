"""Deterministic saturation logs written with the real, TF-free API.

`write_run` logs sigmoid layers whose saturation grows with depth and steps,
so heatmaps have many distinct values. Shared by the route, process and
browser tests.
"""

import os

import numpy as np
from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tensorboard_plugin_saturation import summary


def layer_activations(rng, samples, units, spread, activation="sigmoid"):
    """Activations whose saturation grows with `spread` (pre-activation std)."""
    pre = rng.standard_normal((samples, units)) * spread
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-pre))
    if activation == "tanh":
        return np.tanh(pre)
    return np.maximum(pre, 0.0)


def write_run(logdir, run, *, layers=("dense", "dense_1", "dense_2", "dense_3"),
              steps=range(0, 300, 10), samples=64, units=32, growth=1.0,
              activation="sigmoid", seed=0):
    """Writes one run; layer i at step s has pre-activation std (1 + i) * (0.5 + growth * s / max_step)."""
    rng = np.random.default_rng(seed)
    steps = list(steps)
    last = max(steps[-1], 1)
    writer = EventFileWriter(os.path.join(logdir, run))
    try:
        for step in steps:
            for index, tag in enumerate(layers):
                spread = (1 + index) * (0.5 + growth * step / last)
                data = layer_activations(rng, samples, units, spread, activation)
                pb = summary.saturation_pb(tag, data, activation=activation, layer_index=index)
                writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
    finally:
        writer.close()
    return os.path.join(logdir, run)
