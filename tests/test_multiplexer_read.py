"""The fast read from the Python loader's multiplexer gives exactly what the public read_tensors gives;
`_raw_tensors` accepts only records of exactly the expected tensor layout."""

import numpy as np
import pytest
from tensorboard import context as tb_context
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.compat.proto import tensor_pb2, types_pb2

from tensorboard_plugin_saturation import _multiplexer_read, _raw_tensors, summary
from tensorboard_plugin_saturation import reader as reader_lib
from tests import logs


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("multiplexer"))
    logs.write_run(logdir, "run", layers=("dense", "dense_1"), steps=range(0, 40, 2), samples=4, units=3)
    # A resumed run: steps 10 and 12 logged again; and a layer whose tensors have the wrong shape.
    events = [(s, summary.saturation_pb("dense", np.full((2, 3), 0.999, np.float32), layer_index=0)) for s in (10, 12)]
    bad = summary.saturation_pb("odd", np.full((2, 2), 0.5, np.float32))
    bad.value[0].tensor.tensor_shape.dim[0].size = 7
    logs.write_events(logdir, "run", events + [(0, bad)])
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"saturation": 0})
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    return data_provider.MultiplexerDataProvider(multiplexer, logdir), multiplexer


def _all_series(provider, multiplexer, downsample=reader_lib.DEFAULT_SAMPLES):
    reader = reader_lib.Reader(provider, downsample=downsample, multiplexer=multiplexer)
    ctx = tb_context.RequestContext()
    layers = reader.layers(ctx, "", run="run")["run"]
    reader.prefetch(ctx, "", "run", layers, units=True)
    return {
        (layer.tag, kind): reader.series(ctx, "", "run", tag, layer.stamp, width)
        for layer in layers
        for kind, tag, width in (("layer", layer.tag, layer.layout.width), ("units", layer.units_tag, layer.units))
    }


def _assert_same(fast, public):
    assert sorted(fast) == sorted(public) == [(t, k) for t in ("dense", "dense_1", "odd") for k in ("layer", "units")]
    assert fast[("odd", "layer")] is None and public[("odd", "layer")] is None
    for key, series in fast.items():
        if series is None:
            continue
        other = public[key]
        np.testing.assert_array_equal(series.steps, other.steps)
        np.testing.assert_array_equal(series.wall_times, other.wall_times)
        np.testing.assert_array_equal(series.values, other.values)
        assert series.values.dtype == other.values.dtype


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
    _assert_same(fast, public)
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
    _assert_same(_all_series(provider, multiplexer, downsample=5), _all_series(provider, None, downsample=5))


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
