"""Browser tests of the Saturation tab: the real `tensorboard` and headless Chromium.

Everything runs against the Debian Chromium at /usr/bin/chromium through
Playwright (never a downloaded browser). Without it the tests are skipped.
One TensorBoard (Python loader) serves the shared logs of the whole session;
a test that needs its own logs starts its own.
"""

import json
import os
import tempfile
import time
import urllib.parse

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tensorboard_plugin_saturation import summary
from tests import logs
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.tensorboard_process import get_json, serve, wait_for

VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOT_MARGIN_CSS = 12
DOCS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs")
# The README's screenshots are refreshed only when asked (SATURATION_SCREENSHOTS=docs), so a
# test run leaves the checkout as it was; otherwise they go to a temporary folder.
SCREENSHOTS = DOCS if os.environ.get("SATURATION_SCREENSHOTS") == "docs" else tempfile.mkdtemp(prefix="saturation-screenshots-")

HOSTILE_RUN = "<img src=x onerror=window.__pwned=1>"
HOSTILE_TAG = "<script>window.__pwned=2</script>"
GROW_LAYERS = ("dense", "dense_1", "dense_2", "dense_3", "dense_4", "dense_5")
CALM_LAYERS = ("dense", "dense_1", "dense_2", "dense_3")
NAN_STEPS = (40, 50)
NAN_DESCRIPTION = "Encoder **output**, <b>shown as text</b>"
# A short run beside a long one: steps 0..199 against 0..19980; one step of the short run saturates fully.
BURST_STEP = 150
ROUTE = "/data/plugin/saturation/"


def write_nan_run(logdir, run):
    """One sigmoid layer over steps 0..90; steps in NAN_STEPS hold 3 NaN values."""
    rng = np.random.default_rng(3)
    writer = EventFileWriter(os.path.join(logdir, run))
    try:
        for step in range(0, 100, 10):
            data = logs.layer_activations(rng, 32, 8, 2.0)
            if step in NAN_STEPS:
                data[0, :3] = np.nan
            pb = summary.saturation_pb("dense", data, description=NAN_DESCRIPTION, layer_index=0)
            writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
    finally:
        writer.close()


def write_burst_runs(logdir):
    """`burst_long`: 1000 calm steps, 0..19980; `burst_short`: 200 calm steps, 0..199, but step BURST_STEP saturates."""
    calm = np.full((16, 4), 0.5, np.float32)
    saturated = np.full((16, 4), 0.9999, np.float32)
    for run, steps in (("burst_long", range(0, 20000, 20)), ("burst_short", range(200))):
        writer = EventFileWriter(os.path.join(logdir, run))
        try:
            for step in steps:
                data = saturated if run == "burst_short" and step == BURST_STEP else calm
                pb = summary.saturation_pb("dense", data)
                writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
        finally:
            writer.close()


# A recurrent model as the Keras callback logs it (tag, activation, optional layer keys), in network order:
# the LSTM's gate series are not adjacent, the tab draws them together.
RECURRENT_SERIES = (
    ("lstm/input", "sigmoid", {"group": "lstm", "gate": "input"}),
    ("dense", "relu", {}),
    ("lstm/forget", "sigmoid", {"group": "lstm", "gate": "forget"}),
    ("out", "sigmoid", {"output": True}),
    ("lstm/cell", "tanh", {"group": "lstm", "gate": "cell"}),
)


def write_recurrent_run(logdir, run):
    rng = np.random.default_rng(4)
    events = []
    for step in range(0, 100, 10):
        for index, (tag, activation, keys) in enumerate(RECURRENT_SERIES):
            data = logs.layer_activations(rng, 32, 8, 1.0 + index + step / 25, activation)
            pb = summary.saturation_pb(tag, data, activation=activation, layer_index=index)
            events.append((step, logs.with_layer_keys(pb, **keys)))
    logs.write_events(logdir, run, events)


def write_shared_logs(root):
    logs.write_run(root, "grow", layers=GROW_LAYERS, steps=range(0, 400, 4))
    logs.write_run(root, "calm", layers=CALM_LAYERS, steps=range(0, 300, 5), growth=0.1, seed=1, activation="tanh")
    logs.write_run(root, HOSTILE_RUN, layers=(HOSTILE_TAG, "ok"), steps=range(0, 50, 10), seed=2)
    write_nan_run(root, "unstable")
    write_burst_runs(root)
    write_recurrent_run(root, "recurrent")


def all_runs_loaded(url, expected):
    """The runs route once every run's layers reached their last step ({run: {maxStep}}), else None."""
    runs = get_json(url + ROUTE + "runs")["runs"]
    last = {r["run"]: {layer["maxStep"] for layer in r["layers"]} for r in runs}
    return runs if last == expected else None


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("browser tests need Chromium at %s (apt-get install chromium)" % CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="session")
def shared_logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("browser") / "logs")
    write_shared_logs(root)
    return root


@pytest.fixture(scope="session")
def tensorboard(browser, shared_logdir):
    """Base URL of a TensorBoard (Python loader) that holds every step of the shared logs."""
    expected = {"grow": {396}, "calm": {295}, HOSTILE_RUN: {40}, "unstable": {90}, "burst_long": {19980}, "burst_short": {199},
                "recurrent": {90}}
    with serve(shared_logdir, load_fast="false") as url:
        wait_for(lambda: all_runs_loaded(url, expected))
        yield url


class Tab:
    """A TensorBoard page showing the Saturation tab, with the errors it logged."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.on("console", lambda message: self._console(message))
        page.on("pageerror", lambda error: self.errors.append("page error: %s" % error))
        self.expected_errors = []

    def _console(self, message):
        if message.type == "error":
            self.errors.append("console error: %s (%s)" % (message.text, message.location.get("url", "")))

    def open(self, url, hash_state=""):
        """Opens the tab (with `hash_state` keys in the URL) and waits for its first paint."""
        self.page.goto(url + "/#saturation" + hash_state)
        self.wait_for_plugin_frame().wait_for_function(
            "() => performance.getEntriesByName('saturation-first-paint').length > 0"
        )
        return self

    def wait_for_plugin_frame(self):
        """The iframe TensorBoard loads the plugin into."""

        def find():
            for frame in self.page.frames:
                if "plugin_entry.html" in frame.url:
                    return frame
            return None

        self.frame = self.wait_until(find)
        return self.frame

    def wait_until(self, predicate, timeout=30):
        """Polls `predicate()` while letting Playwright deliver events; returns its first truthy value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met within %ss" % timeout)
            self.page.wait_for_timeout(100)

    def unexpected_errors(self):
        """Logged errors, minus resource errors the test provoked on purpose."""
        return [e for e in self.errors if not any(expected in e for expected in self.expected_errors)]

    def panel(self, run):
        return self.frame.locator(".run-panel").filter(has=self.frame.locator(".panel-run", has_text=run)).first

    def layer_labels(self, run):
        return self.panel(run).locator(".layer-label").all_inner_texts()

    def distinct_colours(self, canvas_locator):
        """Number of distinct RGBA values on a canvas."""
        return canvas_locator.evaluate(
            """(canvas) => {
                const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                const seen = new Set();
                for (let i = 0; i < data.length; i += 4) {
                    seen.add(((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]) >>> 0);
                }
                return seen.size;
            }"""
        )

    def toggle_run(self, run):
        choice = self.frame.locator(".run-choice").filter(has=self.frame.locator(".run-name", has_text=run))
        choice.locator("input").click()

    def selected_runs(self):
        return self.frame.locator(".run-choice:has(input:checked) .run-name").all_inner_texts()

    def screenshot(self, name, locator=None):
        """Saves SCREENSHOTS/NAME: the page, or the part of it `locator` (in the plugin frame) covers."""
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, name)
        clip = None
        if locator is not None:
            box = locator.bounding_box()
            margin = SCREENSHOT_MARGIN_CSS
            clip = {"x": max(0, box["x"] - margin), "y": max(0, box["y"] - margin),
                    "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin}
        self.page.screenshot(path=path, clip=clip)
        return path


def view_hash(runs, layer=None):
    """The URL hash keys that make the tab show `runs` (and `layer` in detail)."""
    state = "&p.saturation.runs=" + urllib.parse.quote(json.dumps(runs), safe="")
    if layer:
        state += "&p.saturation.layer=" + urllib.parse.quote(layer, safe="")
    return state


@pytest.fixture
def new_tab(browser):
    """Makes pages, each in a fresh browser context; after the test, none may have logged an unexpected error."""
    contexts = []
    tabs = []

    def make_tab(**context_options):
        context = browser.new_context(**{"viewport": VIEWPORT, **context_options})
        contexts.append(context)
        tab = Tab(context.new_page())
        tabs.append(tab)
        return tab

    yield make_tab
    try:
        for tab in tabs:
            assert tab.unexpected_errors() == []
    finally:
        for context in contexts:
            context.close()
