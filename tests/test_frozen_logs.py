"""Logs written by version 0.1.0 read forever: every route and the report answer them as 0.1.0 did.

tests/data/v0_1_0/ holds event files written by 0.1.0's own writers (the
Keras callback and `saturation_pb`) and 0.1.0's answers to them, recorded by
running 0.1.0's code (freeze.py there says how). A later layout version must
still read these logs through the fields they name.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import make_client
from tests.data.v0_1_0 import requests_0_1_0

DATA = os.path.join(os.path.dirname(__file__), "data", "v0_1_0")
LOGDIR = os.path.join(DATA, "logs")
ROOT = "/data/plugin/saturation/"

with open(os.path.join(DATA, "answers.json")) as f:
    ANSWERS = json.load(f)

# Keys of a 0.1.0 answer that a later version dropped on purpose: {(route, key): why}.
# Keys a later version adds are not compared here (their own tests pin them).
DROPPED = {
    ("runs", "steps"): "counting a series' steps means reading it; runs reads metadata only (issue 14)",
    ("runs", "eps"): "shown in the layer detail, from GET layer (issue 15, point 7)",
    ("runs", "description"): "shown in the layer detail, from GET layer (issue 15, point 7)",
    ("layer", "wallTimes"): "the tab shows steps, never wall times (issue 15, point 7)",
    ("layer", "count"): "the histogram counts the finite values the tab shows (issue 15, point 7)",
}
# Keys renamed on purpose: {(route, key in 0.1.0): key today}.
RENAMED = {
    # `steps` is each column's first step in every route (http_api.md, "Steps").
    ("layer", "stepStarts"): "steps",
    ("layer", "steps"): "shownSteps",
}


@pytest.fixture(scope="module")
def client():
    return make_client(LOGDIR)[0]


def _route(path):
    return path.split("?")[0]


def _compare(route, expected, actual, where):
    """`actual` answers as `expected` did, for every key 0.1.0 gave, recursively through dicts and lists."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            if (route, key) in DROPPED:
                assert key not in actual, "%s: %r was dropped on purpose" % (where, key)
                continue
            today = RENAMED.get((route, key), key)
            assert today in actual, "%s: key %r of the 0.1.0 answer is missing" % (where, today)
            _compare(route, value, actual[today], "%s.%s" % (where, today))
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual)):
            _compare(route, e, a, "%s[%d]" % (where, i))
    else:
        assert actual == expected, where


def test_the_frozen_logs_are_small_and_cover_every_route():
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(LOGDIR) for f in files)
    assert size < 30000
    assert sorted(requests_0_1_0.requests(ANSWERS["routes"]["runs"])) == sorted(ANSWERS["routes"])
    assert {_route(p) for p in ANSWERS["routes"]} == {"runs", "overview", "layer", "units", "diagnosis"}
    assert {l["hasSignals"] for r in ANSWERS["routes"]["runs"]["runs"] for l in r["layers"]} == {True, False}


@pytest.mark.parametrize("path", sorted(ANSWERS["routes"]))
def test_every_route_answers_as_0_1_0_did(client, path):
    response = client.get(ROOT + path)
    assert response.status_code == 200, response.data
    _compare(_route(path), ANSWERS["routes"][path], response.get_json(), path)


@pytest.mark.parametrize("args", sorted(ANSWERS["report"]))
def test_the_report_answers_as_0_1_0_did(args):
    done = subprocess.run(
        [sys.executable, "-m", "tensorboard_plugin_saturation.report", LOGDIR, *args.split()],
        capture_output=True, text=True,
    )
    expected = ANSWERS["report"][args]
    assert done.returncode == expected["status"], done.stderr
    assert done.stdout.replace(LOGDIR, "{logdir}") == expected["stdout"]
