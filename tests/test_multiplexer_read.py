"""The fast read from the Python loader's multiplexer gives exactly what the public read_tensors gives;
`_raw_tensors` accepts only records of exactly the expected tensor layout."""

import numpy as np
import pytest
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.compat.proto import tensor_pb2, types_pb2

from tensorboard_plugin_saturation import _multiplexer_read, _raw_tensors
from tensorboard_plugin_saturation import reader as reader_lib
from tests import fast_read


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("multiplexer"))
    fast_read.write_resumed_run(logdir)
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"saturation": 0})
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    return data_provider.MultiplexerDataProvider(multiplexer, logdir), multiplexer


def _all_series(provider, multiplexer, downsample=reader_lib.DEFAULT_SAMPLES):
    return fast_read.all_series(reader_lib.Reader(provider, downsample=downsample, multiplexer=multiplexer))


def test_fast_and_public_reads_agree_exactly(loaded):
    provider, multiplexer = loaded
    read = _multiplexer_read.read(multiplexer, 100, "run", {"dense": 42, "dense/units": 3})
    assert sorted(read) == ["dense", "dense/units"]
    steps, wall_times, values = read["dense/units"]
    assert values.dtype == np.uint8 and values.shape == (22, 3)  # 20 steps, then 10 and 12 again
    assert steps[-2:].tolist() == [10, 12] and wall_times[-2:].tolist() == [1010.0, 1012.0]
    assert values[-1].tolist() == [255, 255, 255]
    fast = _all_series(provider, multiplexer)
    public = _all_series(provider, None)
    fast_read.assert_same_series(fast, public)
    assert fast[("dense", "layer")].steps.tolist() == list(range(0, 40, 2))
    assert fast[("dense", "units")].values[5].tolist() == [255, 255, 255]  # the last point logged at step 10


def test_sampled_series_unknown_tags_and_other_providers_fall_back(loaded):
    provider, multiplexer = loaded
    assert _multiplexer_read.read(multiplexer, 21, "run", {"dense": 42}) is None  # 22 points: the provider samples
    assert _multiplexer_read.read(multiplexer, 22, "run", {"dense": 42}) is not None
    assert _multiplexer_read.read(multiplexer, 100, "run", {"dense": 41}) is None
    assert _multiplexer_read.read(multiplexer, 100, "run", {"missing": 42}) is None
    assert _multiplexer_read.read(multiplexer, 100, "gone", {"dense": 42}) is None
    assert not _multiplexer_read.serves(multiplexer, object())
    assert not _multiplexer_read.serves(None, provider)
    fast_read.assert_same_series(_all_series(provider, multiplexer, downsample=5), _all_series(provider, None, downsample=5))


def _proto(values, dtype=types_pb2.DT_DOUBLE, **fields):
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_content=np.asarray(values).tobytes(), **fields)
    proto.tensor_shape.dim.add(size=len(values))
    return proto


def _values(protos, dtype, width):
    return _raw_tensors.values(b"".join(p.SerializeToString() for p in protos), len(protos), dtype, width,
                               lambda proto: proto.SerializeToString())


def test_raw_tensors_accept_only_the_expected_layout():
    rows = [_proto(np.array([1.5, -2.0, np.nan])), _proto(np.array([0.0, 3.25, np.inf]))]
    np.testing.assert_array_equal(_values(rows, types_pb2.DT_DOUBLE, 3), [[1.5, -2.0, np.nan], [0.0, 3.25, np.inf]])
    small = [_proto(np.array([7, 255], np.uint8), types_pb2.DT_UINT8)]
    assert _values(small, types_pb2.DT_UINT8, 2).tolist() == [[7, 255]]
    assert _values(small, types_pb2.DT_UINT8, 2).dtype == np.uint8
    assert _values([_proto(np.array([0.5], np.float32), types_pb2.DT_FLOAT)], types_pb2.DT_FLOAT, 1).tolist() == [[0.5]]
    assert _values(rows, types_pb2.DT_DOUBLE, 2) is None  # another width
    assert _values(rows, types_pb2.DT_FLOAT, 3) is None  # another dtype
    assert _values(rows, types_pb2.DT_STRING, 3) is None  # a dtype without a fixed size
    assert _values([rows[0], _proto(np.array([1.0, 2.0, 3.0], np.float32), types_pb2.DT_FLOAT)],
                   types_pb2.DT_DOUBLE, 3) is None  # mixed dtypes
    assert _values([rows[0], _proto(np.array([1.0, 2.0, 3.0]), version_number=1)], types_pb2.DT_DOUBLE, 3) is None
    assert _raw_tensors.values(b"", 0, types_pb2.DT_DOUBLE, 3, bytes).shape == (0, 3)
