"""The real `tensorboard` command serves the tab, on both back-ends."""

import os
import urllib.request

import pytest

from tensorboard_plugin_saturation import plugin as plugin_lib
from tests import logs
from tests.tensorboard_process import get_json, serve, wait_for


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("process") / "logs"
    logs.write_run(str(root), "grow", steps=range(300), samples=8, units=4)
    logs.write_run(str(root), "calm", steps=range(0, 300, 3), samples=8, units=4, growth=0.1, seed=1)
    return str(root)


def _runs(url):
    """The runs answer once both runs are loaded to their last step."""
    runs = get_json(url + "/data/plugin/saturation/runs")["runs"]
    last = {(r["run"], layer["maxStep"]) for r in runs for layer in r["layers"]}
    return runs if last == {("calm", 297), ("grow", 299)} else None


def _held_steps(url, run, tag):
    """How many steps the server holds for a layer (the layer route's totalSteps)."""
    return get_json(url + "/data/plugin/saturation/layer?run=%s&tag=%s&maxSteps=1" % (run, tag))["totalSteps"]


@pytest.mark.parametrize("load_fast", ["false", "true"])
def test_tensorboard_serves_the_tab_and_every_step(logdir, load_fast):
    with serve(logdir, load_fast=load_fast) as url:
        listing = wait_for(lambda: get_json(url + "/data/plugins_listing").get("saturation"))
        assert listing["tab_name"] == "Saturation"
        assert listing["loading_mechanism"] == {
            "type": "IFRAME", "module_path": "/data/plugin/saturation/static/index.js",
        }
        runs = wait_for(lambda: _runs(url))
        assert wait_for(lambda: get_json(url + "/data/plugins_listing")["saturation"]["enabled"])
        steps = {(r["run"], layer["tag"]): _held_steps(url, r["run"], layer["tag"]) for r in runs for layer in r["layers"]}
        assert steps == {
            ("calm", tag): 100 for tag in ("dense", "dense_1", "dense_2", "dense_3")
        } | {("grow", tag): 300 for tag in ("dense", "dense_1", "dense_2", "dense_3")}

        with urllib.request.urlopen(url + "/data/plugin_entry.html?name=saturation") as r:
            assert b'<base href="plugin/saturation/"' in r.read()
        with urllib.request.urlopen(url + "/data/plugin/saturation/static/index.js") as r:
            assert r.headers["Content-Type"].startswith("text/javascript")
            with open(os.path.join(plugin_lib._STATIC_DIR, "index.js"), "rb") as f:
                assert r.read() == f.read()


def test_users_samples_per_plugin_still_wins(logdir):
    with serve(logdir, load_fast="false", extra_args=("--samples_per_plugin", "saturation=50")) as url:
        runs = wait_for(lambda: _runs(url))
        assert {_held_steps(url, r["run"], layer["tag"]) for r in runs for layer in r["layers"]} == {50}
