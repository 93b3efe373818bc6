"""The fast read from RustBoard's gRPC provider gives exactly what the public read_tensors gives."""

import numpy as np
import pytest
from tensorboard import context as tb_context
from tensorboard.data import server_ingester
from tensorboard.util import grpc_util

from tensorboard_plugin_saturation import _grpc_read, metadata, summary
from tensorboard_plugin_saturation import reader as reader_lib
from tests import logs
from tests.tensorboard_process import wait_for


@pytest.fixture(scope="module")
def rustboard(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("grpc"))
    logs.write_run(logdir, "run", layers=("dense", "dense_1"), steps=range(0, 40, 2), samples=4, units=3)
    # A resumed run: steps 10 and 12 logged again; and a layer whose tensors have the wrong shape.
    events = [(s, summary.saturation_pb("dense", np.full((2, 3), 0.999, np.float32), layer_index=0)) for s in (10, 12)]
    bad = summary.saturation_pb("odd", np.full((2, 2), 0.5, np.float32))
    bad.value[0].tensor.tensor_shape.dim[0].size = 7
    logs.write_events(logdir, "run", events + [(0, bad)])
    ingester = server_ingester.SubprocessServerDataIngester(
        server_binary=server_ingester.get_server_binary(), logdir=logdir, reload_interval=0,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL, samples_per_plugin={metadata.PLUGIN_NAME: 0},
    )
    ingester.start()
    provider = ingester.data_provider
    ctx = tb_context.RequestContext()
    # RustBoard drops the points at and after a step that comes again (TensorBoard's orphaned-data purge).
    loaded = {"dense": 12, "dense/units": 12, "dense_1": 38, "dense_1/units": 38, "odd": 0, "odd/units": 0}
    wait_for(lambda: {t: s.max_step for t, s in provider.list_tensors(
        ctx, experiment_id="", plugin_name="saturation").get("run", {}).items()} == loaded, timeout=120)
    yield provider


def _all_series(provider):
    reader = reader_lib.Reader(provider)
    ctx = tb_context.RequestContext()
    layers = reader.layers(ctx, "", run="run")["run"]
    reader.prefetch(ctx, "", "run", layers, units=True)
    return {
        (layer.tag, kind): reader.series(ctx, "", "run", tag, layer.stamp, width)
        for layer in layers
        for kind, tag, width in (("layer", layer.tag, layer.layout.width), ("units", layer.units_tag, layer.units))
    }


def test_fast_and_public_reads_agree_exactly(rustboard, monkeypatch):
    fast = _all_series(rustboard)
    assert _grpc_read.read(rustboard, "", "saturation", 100, "run", {"dense": 42, "dense/units": 3}) is not None
    monkeypatch.setattr(_grpc_read, "read", lambda *args: None)
    public = _all_series(rustboard)
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
    assert fast[("dense", "layer")].steps.tolist() == [0, 2, 4, 6, 8, 10, 12]
    assert fast[("dense", "units")].values[-1].tolist() == [255, 255, 255]  # the resumed run's points


def test_other_providers_and_unexpected_widths_fall_back(rustboard):
    assert _grpc_read.read(object(), "", "saturation", 100, "run", {"dense": 42}) is None
    assert _grpc_read.read(rustboard, "", "saturation", 100, "run", {"dense": 41}) is None
