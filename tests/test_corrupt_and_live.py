"""Corrupt data in one run leaves every other run served; a live run grows on reload."""

import json
import logging
import os

import numpy as np
import pytest
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import _multiplexer_read, metadata, summary
from tests import logs
from tests.conftest import make_client, make_reloadable_client
from tests.logs import write_events
from tests.tensorboard_process import get_json, serve, wait_for

ROOT = "/data/plugin/saturation"


def _good(logdir, run="good"):
    write_events(logdir, run, [(s, summary.saturation_pb("dense", np.full((2, 2), 0.5))) for s in range(3)])


def _future_version(logdir):
    pb = summary.saturation_pb("dense", np.full((2, 2), 0.5))
    for value in pb.value:
        content = json.loads(value.metadata.plugin_data.content)
        content["version"] = metadata.CONTENT_VERSION + 1
        value.metadata.plugin_data.content = json.dumps(content).encode()
    write_events(logdir, "future", [(0, pb)])


def _wrong_shape(logdir):
    pb = summary.saturation_pb("dense", np.full((2, 2), 0.5))
    pb.value[0].tensor.CopyFrom(tensor_util.make_tensor_proto(np.zeros(3)))
    write_events(logdir, "wrong_shape", [(0, pb)])


def _garbage_file(logdir):
    os.makedirs(os.path.join(logdir, "garbage"))
    with open(os.path.join(logdir, "garbage", "events.out.tfevents.1.garbage"), "wb") as f:
        f.write(np.random.default_rng(0).bytes(5000))


def _truncated_file(logdir):
    _good(logdir, "truncated")
    (path,) = [os.path.join(logdir, "truncated", n) for n in os.listdir(os.path.join(logdir, "truncated"))]
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 37)


CORRUPTIONS = [_future_version, _wrong_shape, _garbage_file, _truncated_file]


@pytest.fixture
def corrupt_logdir(tmp_path):
    logdir = str(tmp_path / "logs")
    _good(logdir)
    for corrupt in CORRUPTIONS:
        corrupt(logdir)
    return logdir


def test_every_good_run_is_served_and_bad_series_are_skipped_with_one_warning(corrupt_logdir, caplog):
    client, _ = make_client(corrupt_logdir)
    with caplog.at_level(logging.WARNING, logger="tensorboard_plugin_saturation.reader"):
        for _ in range(2):
            response = client.get(ROOT + "/runs")
            assert response.status_code == 200
            runs = {r["run"]: [layer["maxStep"] for layer in r["layers"]] for r in response.get_json()["runs"]}
            assert runs["good"] == [2]
            assert runs.get("truncated") in ([1], [2])  # the cut record is dropped
            # Metadata only: a tensor of the wrong shape is found when the series is read.
            assert "future" not in runs and runs["wrong_shape"] == [0]
            assert client.get(ROOT + "/overview?run=good").status_code == 200
            assert client.get(ROOT + "/overview?run=future").status_code == 404
            assert client.get(ROOT + "/overview?run=wrong_shape").get_json()["layers"] == []
            assert client.get(ROOT + "/layer?run=wrong_shape&tag=dense").status_code == 404
    messages = [r.getMessage() for r in caplog.records]
    assert sum("version 2 is newer" in m for m in messages) == 2  # dense and dense/units, once each
    assert sum("expected tensors of shape (42,), found (3,)" in m for m in messages) == 1


@pytest.mark.parametrize("load_fast", ["false", "true"])
def test_real_tensorboard_serves_good_runs_beside_corrupt_ones(corrupt_logdir, load_fast):
    with serve(corrupt_logdir, load_fast=load_fast) as url:
        def good_served():
            runs = {r["run"] for r in get_json(url + ROOT + "/runs")["runs"]}
            return "good" in runs and runs
        runs = wait_for(good_served)
        assert not runs & {"future", "garbage"}
        assert get_json(url + ROOT + "/overview?run=good")["layers"] == ["dense"]


def test_a_run_being_written_grows_on_reload(tmp_path):
    logdir = str(tmp_path)
    logs.write_run(logdir, "live", layers=("dense",), steps=range(5), samples=2, units=2)
    client, _, multiplexer = make_reloadable_client(logdir)
    assert client.get(ROOT + "/overview?run=live").get_json()["steps"] == [0, 1, 2, 3, 4]
    logs.write_run(logdir, "live", layers=("dense",), steps=range(5, 9), samples=2, units=2)
    multiplexer.Reload()
    assert client.get(ROOT + "/overview?run=live").get_json()["steps"] == list(range(9))
    assert client.get(ROOT + "/runs").get_json()["runs"][0]["layers"][0]["maxStep"] == 8


def test_real_tensorboard_serves_a_growing_run(tmp_path):
    logdir = str(tmp_path / "logs")
    logs.write_run(logdir, "live", layers=("dense",), steps=range(5), samples=2, units=2)
    with serve(logdir, load_fast="true") as url:
        def last_step():
            runs = get_json(url + ROOT + "/runs")["runs"]
            return runs and runs[0]["layers"][0]["maxStep"]
        assert wait_for(lambda: last_step() == 4)
        logs.write_run(logdir, "live", layers=("dense",), steps=range(5, 12), samples=2, units=2)
        assert wait_for(lambda: last_step() == 11)
        overview = get_json(url + ROOT + "/overview?run=live")
        assert overview["steps"] == list(range(12))


class _CountingProvider:
    """The real data provider, counting its read_tensors calls."""

    def __init__(self, inner):
        self._inner = inner
        self.reads = 0

    def read_tensors(self, *args, **kwargs):
        self.reads += 1
        return self._inner.read_tensors(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_overview_and_diagnosis_are_cached_per_run_until_the_run_grows(tmp_path, monkeypatch):
    logdir = str(tmp_path)
    calm = [(s, summary.saturation_pb("dense", np.full((4, 2), 0.5, np.float32), layer_index=0)) for s in range(5)]
    stuck = [(s, summary.saturation_pb("dense", np.full((4, 2), 0.999, np.float32), layer_index=0)) for s in range(5, 9)]
    write_events(logdir, "live", calm)
    client, plugin, multiplexer = make_reloadable_client(logdir)
    provider = plugin._reader._provider = _CountingProvider(plugin._reader._provider)
    read_multiplexer = _multiplexer_read.read

    def counted(*args):  # the reader reads the multiplexer directly, as with tensorboard --load_fast=false
        provider.reads += 1
        return read_multiplexer(*args)

    monkeypatch.setattr(_multiplexer_read, "read", counted)

    first = client.get(ROOT + "/diagnosis?run=live").get_json()
    assert first["status"] == "healthy" and provider.reads == 1  # layer and signals series in one read
    assert client.get(ROOT + "/overview?run=live").get_json()["values"] == [[0.0] * 5]
    for _ in range(3):
        assert client.get(ROOT + "/diagnosis?run=live").get_json() == first
        assert client.get(ROOT + "/overview?run=live").get_json()["values"] == [[0.0] * 5]
        assert client.get(ROOT + "/layer?run=live&tag=dense").get_json()["totalSteps"] == 5
        assert client.get(ROOT + "/units?run=live&tag=dense").get_json()["stuckUnits"] == [0] * 5
    assert provider.reads == 2  # the units series once; every other answer came from the caches

    write_events(logdir, "live", stuck)
    multiplexer.Reload()
    grown = client.get(ROOT + "/diagnosis?run=live").get_json()
    assert grown["status"] == "saturated" and [(f["layers"], f["step"]) for f in grown["findings"]] == [(["dense"], 5)]
    assert client.get(ROOT + "/overview?run=live").get_json()["values"] == [[0.0] * 5 + [1.0] * 4]
    assert client.get(ROOT + "/layer?run=live&tag=dense").get_json()["totalSteps"] == 9
    assert client.get(ROOT + "/units?run=live&tag=dense").get_json()["stuckUnits"] == [0] * 5 + [2] * 4
    assert provider.reads == 4
