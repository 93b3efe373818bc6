"""TensorFlow is optional: the viewer, the report, saturation_pb and the PyTorch path run without it.

Each test runs its code in a subprocess started through `tests/without_tensorflow.py`,
which blocks every `tensorflow*` import the way a missing package does, and fails
the process if a TensorFlow module got loaded anyway (SATURATION_CHECK_NO_TF=1).
"""

import json
import os
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from tests import logs
from tests.conftest import make_client
from tests.tensorboard_process import get_json, serve, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCKER = os.path.join(REPO, "tests", "without_tensorflow.py")


def without_tensorflow(*args):
    """The command line that runs `python -m/-c ...` with TensorFlow blocked."""
    return [sys.executable, BLOCKER, *args]


def _env():
    env = dict(os.environ, SATURATION_CHECK_NO_TF="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    return env


def _run(*args, **kwargs):
    result = subprocess.run(without_tensorflow(*args), capture_output=True, text=True, env=_env(), timeout=300, **kwargs)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("notf") / "logs"
    logs.write_run(str(root), "grow", steps=range(0, 60, 2), samples=16, units=4)
    logs.write_run(str(root), "calm", steps=range(0, 60, 3), samples=16, units=4, growth=0.1, seed=1)
    return str(root)


def test_blocker_blocks_tensorflow_like_a_missing_package():
    result = _run("-c", textwrap.dedent("""
        import importlib.util
        try:
            import tensorflow
        except ModuleNotFoundError as e:
            print("missing", e.name)
        try:
            import tensorflow_io
        except ImportError:
            print("missing tensorflow_io")
        print(importlib.util.find_spec("tensorflow"))
    """))
    assert result.stdout.split() == ["missing", "tensorflow", "missing", "tensorflow_io", "None"]


def test_viewer_summary_pb_writer_and_report_modules_import_no_tensorflow(tmp_path):
    run = str(tmp_path / "logs" / "run")
    result = _run("-c", textwrap.dedent("""
        import sys
        import numpy as np
        import tensorboard_plugin_saturation as sat
        from tensorboard_plugin_saturation import _event_writer, diagnosis, loader, plugin, reader, report
        with _event_writer.EventWriter(sys.argv[1]) as writer:
            for step in range(3):
                data = np.linspace(0.0, 1.0, 64).reshape(16, 4) ** (step + 1)
                writer.add_summary(sat.summary.saturation_pb("dense", data, activation="sigmoid"), step=step)
        print(sorted(m for m in ("keras", "torch", "jax") if m in sys.modules))
    """), run)
    assert result.stdout.split() == ["[]"]
    assert len(os.listdir(run)) == 1


def test_report_cli_without_tensorflow_equals_report_with_it(logdir):
    blocked = _run("-m", "tensorboard_plugin_saturation.report", logdir, "--json")
    plain = subprocess.run(
        [sys.executable, "-m", "tensorboard_plugin_saturation.report", logdir, "--json"],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=_env()["PYTHONPATH"]), timeout=300,
    )
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert sorted(json.loads(blocked.stdout)["runs"]) == ["calm", "grow"]
    assert json.loads(blocked.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize("load_fast", ["false", "true"])
def test_tensorboard_without_tensorflow_serves_the_tab_and_the_diagnosis(logdir, tmp_path, load_fast):
    log_path = str(tmp_path / "tensorboard.log")
    command = without_tensorflow("-m", "tensorboard.main")
    with serve(logdir, load_fast=load_fast, command=command, env=_env(), log_path=log_path) as url:
        assert wait_for(lambda: get_json(url + "/data/plugins_listing").get("saturation", {}).get("enabled"))
        runs = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(get_json(url + "/data/plugin/saturation/runs")["runs"]))
        assert {(r["run"], layer["tag"]): layer["maxStep"] for r in runs for layer in r["layers"]} == {
            ("grow", tag): 58 for tag in ("dense", "dense_1", "dense_2", "dense_3")
        } | {("calm", tag): 57 for tag in ("dense", "dense_1", "dense_2", "dense_3")}
        overview = get_json(url + "/data/plugin/saturation/overview?run=grow")
        client, _ = make_client(logdir)  # the same routes in this process, TensorFlow allowed
        assert overview == json.loads(client.get("/data/plugin/saturation/overview?run=grow").get_data())
        assert overview["layers"] == ["dense", "dense_1", "dense_2", "dense_3"] and len(overview["steps"]) == 30
        diagnosis = get_json(url + "/data/plugin/saturation/diagnosis?run=grow")
        report = _run("-m", "tensorboard_plugin_saturation.report", logdir, "--json")
        assert diagnosis == json.loads(report.stdout)["runs"]["grow"]
        with urllib.request.urlopen(url + "/data/plugin/saturation/static/index.js") as r:
            assert r.status == 200
    with open(log_path) as f:
        assert "TensorFlow installation not found" in f.read()
