"""Turns the serialized protos of a series' 1-D tensors into one array, checked in numpy.

`tensor_util.make_ndarray` costs ~25-35 us a tensor: most of a cold request of
a 50-layer x 1000-step run. Here the series' tensor protos are serialized back
to back (one C call per series, or one per tensor), every record is checked
against the header a tensor of the expected dtype and width serializes to (so
each record holds exactly that dtype, that shape and one `tensor_content` of
that length, nothing else), and the contents are cut out as one strided view.
Any other layout answers None: the caller then decodes point by point.
"""

import numpy as np
from tensorboard.compat.proto import tensor_pb2, types_pb2

_NUMPY_TYPES = {
    types_pb2.DT_DOUBLE: np.float64,
    types_pb2.DT_FLOAT: np.float32,
    types_pb2.DT_UINT8: np.uint8,
}


def values(blob, count, dtype, width, serialize, offset=0):
    """[count, width] array of the `count` records that fill `blob` from `offset`, or None.

    A record is `serialize(tensor_proto)` of a 1-D tensor of `dtype` (a
    `types_pb2` enum) and `width` values; all records have the same length,
    which the shared header (it ends with the content's length) enforces.
    """
    numpy_type = _NUMPY_TYPES.get(dtype)
    if numpy_type is None:
        return None
    if not count:
        return np.zeros((0, width), numpy_type)
    row_bytes = width * np.dtype(numpy_type).itemsize
    template = tensor_pb2.TensorProto(dtype=dtype, tensor_content=b"\0" * row_bytes)
    template.tensor_shape.dim.add(size=width)
    record = serialize(template)
    header = len(record) - row_bytes
    if len(blob) - offset != count * len(record):
        return None
    records = np.frombuffer(blob, np.uint8, offset=offset).reshape(count, len(record))
    if not np.array_equal(records[:, :header], np.broadcast_to(np.frombuffer(record, np.uint8, header), (count, header))):
        return None
    return np.ascontiguousarray(records[:, header:]).view(numpy_type)
