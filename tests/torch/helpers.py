"""Reads a run written by the PyTorch logger back through TensorBoard's event reader."""

import json

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def read_run(run_dir):
    """{tag: [(step, ndarray), ...]} and {tag: metadata content dict}."""
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    series, contents = {}, {}
    for tag in accumulator.Tags()["tensors"]:
        series[tag] = [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in accumulator.Tensors(tag)]
        contents[tag] = json.loads(accumulator.SummaryMetadata(tag).plugin_data.content)
    return series, contents
