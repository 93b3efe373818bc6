"""The tests' one home for activations and logs, written with the real, TF-free API.

- `write_events`: [(step, Summary proto)] into a run; `with_layer_keys`: a summary with optional layer keys.
- `layer_activations` / `write_run`: random activations whose saturation grows
  with depth and steps, so heatmaps have many distinct values (route, process
  and browser tests, benchmarks).
- `exact_activations` / `write_layers_run` / `write_diagnosis_logs`: activations
  with an exact saturated share, and the callback's signals beside them
  (diagnosis and report tests).
"""

import json
import math
import os

import numpy as np
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.proto import summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import summary

# The steps `write_layers_run` logs.
STEPS = (0, 45, 90)


def write_events(logdir, run, events):
    """Writes [(step, Summary proto), ...] into logdir/run with TensorBoard's writer (wall time 1000 + step)."""
    writer = EventFileWriter(os.path.join(logdir, run))
    for step, pb in events:
        writer.add_event(event_pb2.Event(step=step, wall_time=1000.0 + step, summary=pb))
    writer.close()


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


def exact_activations(share, activation="sigmoid", samples=100, units=10, dead_units=0):
    """[samples, units] activations with exactly `share` of them saturated (relu: `dead_units` all zero)."""
    if activation == "relu":
        data = np.ones((samples, units), np.float32)
        data[:, :dead_units] = 0.0
        return data
    values = np.full(samples * units, 0.5 if activation == "sigmoid" else 0.0, np.float32)
    values[: int(round(share * samples * units))] = 0.001 if activation == "sigmoid" else -0.999
    return values.reshape(samples, units)


def signals_value(tag, row):
    """The `NAME/signals` summary value the callback writes, from a row of the first SIGNALS_FIELDS.

    A row shorter than SIGNALS_FIELDS is logged with the layout of that many
    fields, as a version that had fewer signals wrote it.
    """
    signals_tag = tag + metadata.SIGNALS_SUFFIX
    content = dict(metadata.signals_content(tag), fields=list(metadata.SIGNALS_FIELDS[: len(row)]))
    pb = summary_pb2.Summary()
    pb.value.add(
        tag=signals_tag,
        metadata=metadata.create_summary_metadata(signals_tag, None, content),
        tensor=tensor_util.make_tensor_proto(np.asarray(row, np.float64)),
    )
    return pb.value[0]


def write_layers_run(logdir, run, layers):
    """layers: [(tag, activation, {step: share or dead units}, {step: signals row} or None)]."""
    writer = EventFileWriter(os.path.join(logdir, run))
    for step in STEPS:
        for index, (tag, activation, values, signals) in enumerate(layers):
            data = (exact_activations(0.0, "relu", dead_units=values[step]) if activation == "relu"
                    else exact_activations(values[step], activation))
            pb = summary.saturation_pb(tag, data, activation=activation, layer_index=index)
            if signals is not None:
                pb.value.append(signals_value(tag, signals[step]))
            writer.add_event(event_pb2.Event(step=step, wall_time=1000.0 + step, summary=pb))
    writer.close()


def signals_rows(input_std=0.93, kernel=0.0625, glorot=0.0625, updates=(math.nan, 0.1, 0.1), lr=0.001):
    return {step: [input_std, 3.0, kernel, glorot, update, lr] for step, update in zip(STEPS, updates)}


def write_diagnosis_logs(logdir):
    """Five runs written with the real API: the four product signatures and a dead-ReLU run."""
    bad = signals_rows(kernel=1.0)
    write_layers_run(logdir, "bad_init", [
        ("dense", "sigmoid", {0: 0.5, 45: 0.5, 90: 0.5}, bad),
        ("dense_1", "sigmoid", {0: 0.69, 45: 0.7, 90: 0.7}, bad),
    ])
    high = signals_rows(updates=(math.nan, 27.0, 0.0), lr=0.3)
    write_layers_run(logdir, "high_lr", [
        ("dense", "sigmoid", {0: 0.0, 45: 0.83, 90: 0.83}, high),
        ("dense_1", "sigmoid", {0: 0.0, 45: 1.0, 90: 1.0}, high),
    ])
    write_layers_run(logdir, "healthy", [
        ("dense", "tanh", {0: 0.0, 45: 0.01, 90: 0.03}, signals_rows()),
        ("dense_1", "tanh", {0: 0.0, 45: 0.2, 90: 0.3}, signals_rows()),
    ])
    write_layers_run(logdir, "raw_inputs", [  # statistics only, no signals
        ("dense", "sigmoid", {0: 0.95, 45: 0.96, 90: 0.97}, None),
        ("dense_1", "sigmoid", {0: 0.0, 45: 0.0, 90: 0.0}, None),
    ])
    write_layers_run(logdir, "relu", [
        ("conv", "relu", {0: 0, 45: 4, 90: 9}, signals_rows(updates=(math.nan, 9.0, 9.0), lr=0.05)),
    ])
    return logdir


def with_layer_keys(pb, **keys):
    """`pb` (from `saturation_pb`) with optional keys of the layer content added, as the contract names them
    ("output": True; "group" and "gate" of a recurrent gate series; "framework"; "trainStep")."""
    value = next(v for v in pb.value if not v.tag.endswith(metadata.UNITS_SUFFIX))
    content = json.loads(value.metadata.plugin_data.content)
    content.update(keys)
    value.metadata.plugin_data.content = json.dumps(content, separators=(",", ":"), sort_keys=True).encode()
    return pb


def expected_tag_steps(tags, steps):
    """Sorted (tag, step) of every layer's three series (layer, units, signals) at every step."""
    return sorted(
        (tag + suffix, step)
        for tag in tags
        for suffix in ("", metadata.UNITS_SUFFIX, metadata.SIGNALS_SUFFIX)
        for step in steps
    )
