"""Logs on object storage: the PyTorch logger writes to, and a TF-free TensorBoard and the report read
from, s3://bucket/... on a moto S3 server on 127.0.0.1 (endpoint from S3_ENDPOINT, as TensorBoard expects)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from tests.tensorboard_process import get_json, serve, wait_for
from tests.test_readme_examples import REPO, run_example
from tests.test_tensorflow_optional import without_tensorflow

BUCKET = "saturation-logs"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A moto S3 server with one bucket; the environment points boto3 (and TensorBoard) at it."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    endpoint = "http://127.0.0.1:%d" % port
    saved = {k: os.environ.get(k) for k in ("S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                                            "AWS_DEFAULT_REGION")}
    os.environ.update(S3_ENDPOINT=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("moto server did not start")
                time.sleep(0.3)
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=BUCKET)
        run_example("examples/pytorch_logger.py", "s3://%s/logs/run1" % BUCKET, blocked_tensorflow=True)
        yield client
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.terminate()
        server.wait(10)
        log.close()


def _env():
    env = dict(os.environ, SATURATION_CHECK_NO_TF="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    return env


def test_logger_writes_one_event_file_into_the_bucket(s3):
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="logs/")["Contents"]]
    events = [k for k in keys if "/events.out.tfevents." in k]
    assert len(events) == 1 and events[0].startswith("logs/run1/events.out.tfevents.")


def _serve(tmp_path, load_fast):
    return serve("s3://%s/logs" % BUCKET, load_fast=load_fast, command=without_tensorflow("-m", "tensorboard.main"),
                 env=_env(), log_path=str(tmp_path / "tensorboard.log"))


@pytest.mark.parametrize("load_fast", ["false", "auto"])
def test_tensorboard_serves_the_tab_and_the_report_agrees(s3, tmp_path, load_fast):
    base = "/data/plugin/saturation/"
    with _serve(tmp_path, load_fast) as url:
        runs = wait_for(lambda: get_json(url + base + "runs")["runs"])
        assert [(r["run"], [(l["tag"], l["maxStep"]) for l in r["layers"]]) for r in runs] == [
            ("run1", [("1", 70), ("3", 70)])
        ]
        overview = get_json(url + base + "overview?run=run1")
        assert overview["layers"] == ["1", "3"] and overview["steps"] == list(range(0, 80, 10))
        layer = get_json(url + base + "layer?run=run1&tag=3")
        units = get_json(url + base + "units?run=run1&tag=3")
        assert layer["steps"] == units["steps"] == list(range(0, 80, 10))
        diagnosis = get_json(url + base + "diagnosis?run=run1")
        with urllib.request.urlopen(url + base + "static/index.js") as r:
            assert r.status == 200
    report = subprocess.run(without_tensorflow("-m", "tensorboard_plugin_saturation.report", "s3://%s/logs" % BUCKET,
                                               "--json"), capture_output=True, text=True, env=_env(), timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    assert json.loads(report.stdout)["runs"]["run1"] == diagnosis
    with open(tmp_path / "tensorboard.log") as f:
        assert "TensorFlow installation not found" in f.read()


def test_rustboard_does_not_read_s3(s3, tmp_path):
    """--load_fast=true: the data server (RustBoard 0.7) knows local and gs:// paths only."""
    with pytest.raises(RuntimeError, match=r'tensorboard exited with 1:[\s\S]*unknown protocol "s3" in logdir s3://'):
        with _serve(tmp_path, "true"):
            pass


def test_tensorflow_gfile_has_no_s3(s3):
    """Why reading S3 needs the TF-free install: with TensorFlow, TensorBoard reads through tf.io.gfile."""
    check = subprocess.run(
        [sys.executable, "-c", "import sys, tensorflow as tf; tf.io.gfile.exists(sys.argv[1])", "s3://%s/logs" % BUCKET],
        capture_output=True, text=True, timeout=300,
    )
    assert check.returncode != 0
    assert "File system scheme 's3' not implemented" in check.stderr
