"""Reads tensor series from RustBoard's gRPC data provider without decoding point by point.

TensorBoard's `GrpcDataProvider.read_tensors` (what `--load_fast=true` serves)
turns every point into a `TensorDatum` through `tensor_util.make_ndarray`,
about 35 us a point: 1.7 s for the 50 000 points of a 50-layer x 1000-step
run, while the transfer itself takes a fraction of that. This module sends the
same `ReadTensors` request over the provider's own stub and joins each series'
raw bytes into one array. It reads TensorBoard's private `_stub` attribute, so
any surprise (another provider, another TensorBoard, an unusual tensor) makes
it answer None and the caller falls back to the public `read_tensors`.
"""

import numpy as np
from tensorboard.compat.proto import types_pb2

_NUMPY_TYPES = {
    types_pb2.DT_DOUBLE: np.float64,
    types_pb2.DT_FLOAT: np.float32,
    types_pb2.DT_UINT8: np.uint8,
}


def read(data_provider, experiment_id, plugin_name, downsample, run, widths):
    """{tag: (steps int64 [T], wall_times float64 [T], values [T, width])} of the tags in
    `widths` ({tag: width}) of `run`, or None when this fast path does not apply."""
    stub = getattr(data_provider, "_stub", None)
    if stub is None or not hasattr(stub, "ReadTensors"):
        return None
    try:
        from tensorboard.data.proto import data_provider_pb2

        request = data_provider_pb2.ReadTensorsRequest()
        request.experiment_id = experiment_id
        request.plugin_filter.plugin_name = plugin_name
        request.run_tag_filter.runs.names.append(run)
        request.run_tag_filter.tags.names.extend(sorted(widths))
        request.downsample.num_points = downsample
        response = stub.ReadTensors(request)
    except Exception:  # noqa: BLE001 - any failure: the public path reports it properly
        return None
    result = {}
    for run_entry in response.runs:
        if run_entry.run_name != run:
            continue
        for tag_entry in run_entry.tags:
            width = widths.get(tag_entry.tag_name)
            data = tag_entry.data
            values = None if width is None else _stack(data.value, width)
            if values is None:
                return None  # not the expected vectors: let the public path decode and report it
            steps = np.array(data.step, np.int64)
            wall_times = np.array(data.wall_time, np.float64)
            result[tag_entry.tag_name] = (steps, wall_times, values)
    return result


def _stack(protos, width):
    """[T, width] array of 1-D tensors of one known dtype, or None."""
    if not protos:
        return np.zeros((0, width))
    numpy_type = _NUMPY_TYPES.get(protos[0].dtype)
    if numpy_type is None:
        return None
    row_bytes = width * np.dtype(numpy_type).itemsize
    contents = []
    for proto in protos:
        shape = proto.tensor_shape.dim
        if proto.dtype != protos[0].dtype or len(shape) != 1 or shape[0].size != width:
            return None
        content = proto.tensor_content
        if len(content) != row_bytes:
            return None
        contents.append(content)
    return np.frombuffer(b"".join(contents), numpy_type).reshape(len(protos), width)
