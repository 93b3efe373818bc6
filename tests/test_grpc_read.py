"""The fast read from RustBoard's gRPC provider gives exactly what the public read_tensors gives."""

import pytest
from tensorboard import context as tb_context
from tensorboard.data import server_ingester
from tensorboard.util import grpc_util

from tensorboard_plugin_saturation import _grpc_read, metadata
from tensorboard_plugin_saturation import reader as reader_lib
from tests import fast_read
from tests.tensorboard_process import wait_for


@pytest.fixture(scope="module")
def rustboard(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("grpc"))
    fast_read.write_resumed_run(logdir)
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
    return fast_read.all_series(reader_lib.Reader(provider))


def test_fast_and_public_reads_agree_exactly(rustboard, monkeypatch):
    fast = _all_series(rustboard)
    assert _grpc_read.read(rustboard, "", "saturation", 100, "run", {"dense": 42, "dense/units": 3}) is not None
    monkeypatch.setattr(_grpc_read, "read", lambda *args: None)
    public = _all_series(rustboard)
    fast_read.assert_same_series(fast, public)
    assert fast[("dense", "layer")].steps.tolist() == [0, 2, 4, 6, 8, 10, 12]
    assert fast[("dense", "units")].values[-1].tolist() == [255, 255, 255]  # the resumed run's points


def test_other_providers_and_unexpected_widths_fall_back(rustboard):
    assert _grpc_read.read(object(), "", "saturation", 100, "run", {"dense": 42}) is None
    assert _grpc_read.read(rustboard, "", "saturation", 100, "run", {"dense": 41}) is None
