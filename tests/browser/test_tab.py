"""The Saturation tab inside the real TensorBoard, driven in headless Chromium."""

import json
import re
import urllib.parse

from tests import logs
from tests.browser.conftest import (
    BURST_STEP,
    CALM_LAYERS,
    GROW_LAYERS,
    HOSTILE_RUN,
    HOSTILE_TAG,
    NAN_DESCRIPTION,
    RECURRENT_SERIES,
    ROUTE,
    all_runs_loaded,
    view_hash,
)
from tests.tensorboard_process import get_json, serve, wait_for

FINDINGS = {
    "run": "grow",
    "status": "saturated",
    "findings": [
        {
            "cause": "initialization",
            "layers": ["dense_4", "dense_5"],
            "step": 200,
            "evidence": "62% of units of dense_5 saturated at step 200; kernel std 1.0 = 14x the Glorot std",
            "remedy": "Initialize the kernels with Glorot (sigmoid, tanh) or He (relu).",
            "snippet": 'keras.layers.Dense(256, activation="sigmoid", kernel_initializer="glorot_uniform")',
        }
    ],
}


def route_json(tensorboard, route, **params):
    return get_json(tensorboard + ROUTE + route + "?" + urllib.parse.urlencode(params))


def js_number(value):
    """A float as JavaScript's String() writes it (1.0 -> "1")."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def next_frame(frame):
    frame.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => resolve()))")


def test_overview_paints_every_layer_of_a_run_in_many_colours(tensorboard, new_tab):
    tab = new_tab().open(tensorboard, view_hash(["grow"]))
    assert tab.selected_runs() == ["grow"]
    assert tab.layer_labels("grow") == list(GROW_LAYERS)
    canvas = tab.panel("grow").locator("canvas")
    assert tab.distinct_colours(canvas) >= 40
    assert tab.panel("grow").locator(".panel-meta").text_content() == "6 layers · steps 0–396"
    ticks = tab.panel("grow").locator(".plot-x .tick-label").all_text_contents()
    assert ticks[0] == "0" and ticks[-1] == "400"
    assert tab.frame.evaluate("() => performance.getEntriesByName('saturation-first-paint', 'measure').length") == 1


def test_two_runs_share_one_colour_scale_and_step_axis(tensorboard, new_tab):
    tab = new_tab().open(tensorboard, view_hash(["grow"]))
    tab.toggle_run("calm")
    tab.panel("calm").locator(".layer-label").first.wait_for()
    assert tab.selected_runs() == ["calm", "grow"]
    assert tab.layer_labels("calm") == list(CALM_LAYERS)
    assert tab.frame.locator(".overview-legend").count() == 1
    ticks = "(ticks) => ticks.map((tick) => [tick.textContent, tick.style.left])"
    axes = {run: tab.panel(run).locator(".plot-x .tick").evaluate_all(ticks) for run in ("calm", "grow")}
    assert axes["calm"] == axes["grow"]
    # calm logs steps 0..295 on the shared axis 0..400: the right quarter of its heatmap stays empty.
    alpha_at = """(canvas, fraction) => canvas.getContext('2d')
        .getImageData(Math.floor(canvas.width * fraction), 1, 1, 1).data[3]"""
    calm_canvas = tab.panel("calm").locator("canvas")
    grow_canvas = tab.panel("grow").locator("canvas")
    assert calm_canvas.evaluate(alpha_at, 0.7) == 255
    assert calm_canvas.evaluate(alpha_at, 0.8) == 0
    assert grow_canvas.evaluate(alpha_at, 0.8) == 255
    assert "p.saturation.runs=" + urllib.parse.quote('["calm","grow"]', safe="") in tab.page.url
    tab.frame.locator(".findings:not([hidden])").first.wait_for()
    next_frame(tab.frame)
    tab.screenshot("screenshot-overview.png")


def test_hover_shows_the_exact_value_of_the_overview_route(tensorboard, new_tab):
    tab = new_tab(device_scale_factor=2).open(tensorboard, view_hash(["grow"]))
    canvas = tab.panel("grow").locator("canvas")
    width, css_width = canvas.evaluate("(c) => [c.width, c.clientWidth]")
    assert width == round(2 * css_width)
    overview = route_json(tensorboard, "overview", run="grow", maxSteps=width)
    box = canvas.bounding_box()
    area = tab.panel("grow").locator(".plot-area")
    tooltip = tab.frame.locator(".sat-tooltip")
    for row, fraction in ((5, 0.93), (2, 0.5), (0, 0.02)):
        area.hover(position={"x": fraction * box["width"], "y": (row + 0.5) * box["height"] / len(GROW_LAYERS)})
        tooltip.wait_for(state="visible")
        lines = tooltip.inner_text().split("\n")
        assert lines[:2] == ["grow", "layer %s" % GROW_LAYERS[row]]
        first_step = int(re.fullmatch(r"steps? (\d+)(?:–\d+)?", lines[2]).group(1))
        value = overview["values"][row][overview["steps"].index(first_step)]
        assert lines[3].startswith("saturated %s (" % js_number(value))
    area.hover(position={"x": 0.93 * box["width"], "y": 5.5 * box["height"] / 6})
    assert float(re.search(r"saturated (\S+) ", tooltip.inner_text()).group(1)) > 0.3


def test_a_one_step_burst_in_a_short_run_beside_a_long_run_is_drawn(tensorboard, new_tab):
    """The short run covers 1% of the shared step axis: it asks for 1% of the columns, and its burst keeps a pixel."""
    tab = new_tab().open(tensorboard, view_hash(["burst_long", "burst_short"]))
    tab.panel("burst_short").locator(".layer-label").first.wait_for()
    columns = tab.frame.evaluate(
        """() => Object.fromEntries(performance.getEntriesByType('resource')
            .filter((entry) => entry.name.includes('/overview?'))
            .map((entry) => new URL(entry.name).searchParams)
            .map((params) => [params.get('run'), Number(params.get('maxSteps'))]))"""
    )
    width = tab.panel("burst_long").locator("canvas").evaluate("(canvas) => canvas.width")
    assert columns == {"burst_long": width, "burst_short": round(width * 200 / 19981)}
    # The brightest colour of the palette (a saturated share of 1), at the burst's place on the axis.
    bright = tab.panel("burst_short").locator("canvas").evaluate(
        """(canvas) => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, 1).data;
            const xs = [];
            for (let x = 0; x < canvas.width; x++) {
                if (data[4 * x] === 253 && data[4 * x + 1] === 231 && data[4 * x + 2] === 37) xs.push(x);
            }
            return xs;
        }"""
    )
    assert len(bright) >= 1
    domain_end = 20000  # the long run's last step, 19980, plus its logging interval
    assert all(abs(x - width * BURST_STEP / domain_end) <= 2 for x in bright)
    area = tab.panel("burst_short").locator(".plot-area")
    area.hover(position={"x": (bright[0] + 0.5) / (width / area.bounding_box()["width"]), "y": 5})
    lines = tab.frame.locator(".sat-tooltip").inner_text().split("\n")
    assert lines[0] == "burst_short" and lines[3] == "saturated 1 (100.00%)"
    first, last = map(int, re.fullmatch(r"steps (\d+)–(\d+)", lines[2]).groups())
    assert first <= BURST_STEP <= last


def test_a_recurrent_layers_gates_are_drawn_together_and_outputs_labelled(tensorboard, new_tab):
    tab = new_tab().open(tensorboard, view_hash(["recurrent"]))
    panel = tab.panel("recurrent")
    labels = panel.locator(".layer-label")
    assert labels.evaluate_all("(all) => all.map((l) => l.dataset.layer)") == [
        "lstm/input", "lstm/forget", "lstm/cell", "dense", "out",
    ]
    assert panel.locator(".layer-label .layer-name").all_text_contents() == [
        "lstm/input", "forget", "cell", "dense", "out",
    ]
    assert panel.locator(".layer-label.gate").evaluate_all("(all) => all.map((l) => l.dataset.layer)") == [
        "lstm/input", "lstm/forget", "lstm/cell",
    ]
    assert panel.locator(".layer-label[data-layer='out'] .output-mark").text_content() == "output"
    assert panel.locator(".output-mark").count() == 1
    tab.screenshot("screenshot-recurrent.png", panel.locator(".overview-plot"))

    # Each row shows its own series' values.
    overview = route_json(tensorboard, "overview", run="recurrent", maxSteps=1000)
    assert overview["layers"] == [tag for tag, _, _ in RECURRENT_SERIES]
    box = panel.locator("canvas").bounding_box()
    for row, tag in enumerate(["lstm/input", "lstm/forget", "lstm/cell", "dense", "out"]):
        panel.locator(".plot-area").hover(position={"x": box["width"] - 2, "y": (row + 0.5) * box["height"] / 5})
        lines = tab.frame.locator(".sat-tooltip").inner_text().split("\n")
        assert lines[1] == "layer %s%s" % (tag, " (output)" if tag == "out" else "")
        value = overview["values"][overview["layers"].index(tag)][-1]
        assert lines[3].startswith("saturated %s (" % js_number(value))

    detail_meta = tab.frame.locator(".detail-panel .panel-meta")
    labels.filter(has_text="forget").click()
    tab.wait_until(lambda: detail_meta.text_content() == "lstm/forget · forget gate of lstm · sigmoid · 8 units · eps 0.01")
    panel.locator(".layer-label[data-layer='out']").click()
    tab.wait_until(lambda: detail_meta.text_content() == "out · model output · sigmoid · 8 units · eps 0.01")


def test_clicking_a_layer_shows_its_distribution_units_and_derivative(tensorboard, new_tab):
    tab = new_tab(viewport={"width": 1400, "height": 1900}).open(tensorboard, view_hash(["grow"]))
    tab.panel("grow").locator(".layer-label[data-layer='dense_5']").click()
    detail = tab.frame.locator(".detail-panel").first
    detail.locator(".derivative-plot canvas:not([hidden])").wait_for()
    assert tab.frame.locator(".section-layer").text_content() == "dense_5"
    assert "p.saturation.layer=dense_5" in tab.page.url
    assert "selected" in tab.panel("grow").locator(".layer-label[data-layer='dense_5']").get_attribute("class")

    assert tab.distinct_colours(detail.locator(".distribution-plot canvas")) >= 20
    assert tab.distinct_colours(detail.locator(".units-plot canvas")) >= 20
    assert tab.distinct_colours(detail.locator(".derivative-plot canvas")) >= 3
    gutter = detail.locator(".distribution-plot .vtick").all_text_contents()
    assert gutter == ["0", "0.25", "0.5", "0.75", "1"]
    units_caption = detail.locator(".units-plot").locator("xpath=..").locator(".caption").text_content()
    assert units_caption.startswith("Units sorted most saturated first")

    layer = route_json(tensorboard, "layer", run="grow", tag="dense_5", maxSteps=1000)
    stuck = detail.locator("[data-stat='stuck']").text_content()
    assert stuck.startswith(
        "Stuck units (saturated in every sample): %d of 32 at step 396" % layer["stuckUnits"][-1]
    )
    assert detail.locator("[data-stat='nonfinite']").text_content() == "No NaN or Inf values."
    # The sigmoid's largest derivative, as the server describes the activation.
    assert detail.locator(".derivative-plot .ceiling-label").text_content() == "largest possible: 0.25"

    box = detail.locator(".distribution-plot canvas").bounding_box()
    detail.locator(".distribution-plot .plot-area").hover(position={"x": box["width"] - 2, "y": 1})
    lines = tab.frame.locator(".sat-tooltip").inner_text().split("\n")
    assert lines[:3] == ["grow", "dense_5 · step 396", "bin [0.969, 1)"]  # the last of 32 bins
    counts = layer["histograms"][-1]
    assert lines[3] == "%.2f%% of finite values (%d of %d)" % (100 * counts[-1] / sum(counts), counts[-1], sum(counts))
    # The step's statistics: saturated share, mean and std, phi.
    low, high = layer["saturatedLow"][-1], layer["saturatedHigh"][-1]
    assert lines[4] == "saturated %.2f%% (near 0 %.2f%%, near 1 %.2f%%)" % (100 * (low + high), 100 * low, 100 * high)
    assert lines[5:] == [
        "mean %s · std %s" % (js_number(layer["mean"][-1]), js_number(layer["std"][-1])),
        "phi %s (0 centred, 1 saturated)" % js_number(layer["phi"][-1]),
    ]

    # A log colour scale brightens the small shares in the middle of the distribution.
    middle_luma = """(canvas) => {
        const [r, g, b] = canvas.getContext('2d').getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    }"""
    distribution = detail.locator(".distribution-plot canvas")
    linear_luma = distribution.evaluate(middle_luma)
    tab.frame.locator(".scale-toggle button[data-kind='log']").click()
    legend = tab.frame.locator(".overview-legend .legend-tick")
    tab.wait_until(lambda: legend.all_text_contents() == ["0.1%", "1%", "10%", "100%"])
    assert tab.frame.locator(".scale-toggle button[data-kind='log']").get_attribute("aria-pressed") == "true"
    tab.wait_until(lambda: distribution.evaluate(middle_luma) > linear_luma + 20)
    tab.frame.locator(".sat-tooltip").evaluate("(tooltip) => { tooltip.hidden = true; }")
    tab.screenshot("screenshot-layer.png", tab.frame.locator(".detail-section"))


def test_steps_with_nan_or_inf_are_listed_and_marked(tensorboard, new_tab):
    tab = new_tab().open(tensorboard, view_hash(["unstable"], "dense"))
    assert tab.panel("unstable").locator(".panel-meta").text_content() == "1 layer · steps 0–90"
    detail = tab.frame.locator(".detail-panel").first
    detail.locator(".derivative-plot canvas:not([hidden])").wait_for()
    nonfinite = detail.locator("[data-stat='nonfinite']").text_content()
    assert nonfinite == "NaN/Inf values at 2 steps: 40 and 50 (red marks)"
    # The layer's description, as logged, and eps in the panel's header.
    assert detail.locator(".layer-description").text_content() == NAN_DESCRIPTION
    assert detail.locator(".layer-description b").count() == 0
    assert detail.locator(".panel-meta").text_content() == "dense · sigmoid · 8 units · eps 0.01"
    red_pixels = detail.locator(".derivative-plot canvas").evaluate(
        """(canvas) => {
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let count = 0;
            for (let i = 0; i < data.length; i += 4) {
                if (data[i] === 229 && data[i + 1] === 57 && data[i + 2] === 53) count++;
            }
            return count;
        }"""
    )
    assert red_pixels >= 2 * 100  # two full-height 1-px marks, partly under the line


def test_findings_show_cause_layers_onset_evidence_and_a_copyable_remedy(tensorboard, new_tab):
    tab = new_tab(permissions=["clipboard-read", "clipboard-write"])
    tab.page.route(
        lambda url: "/diagnosis?" in url and "run=grow" in url,
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(FINDINGS)),
    )
    tab.open(tensorboard, view_hash(["grow"]))
    panel = tab.panel("grow")
    finding = panel.locator(".finding")
    finding.wait_for()
    assert panel.locator(".findings .status-badge").text_content() == "saturated"
    assert panel.locator(".verdict").text_content() == "Saturated: 1 finding, most important first."
    assert finding.locator(".cause").text_content() == "Initialization"
    assert finding.locator(".finding-where").text_content() == "dense_4 and dense_5 · from step 200"
    assert finding.locator(".evidence").text_content() == "Evidence " + FINDINGS["findings"][0]["evidence"]
    assert finding.locator(".remedy").text_content() == "Remedy " + FINDINGS["findings"][0]["remedy"]
    assert finding.locator("pre code").text_content() == FINDINGS["findings"][0]["snippet"]

    marker = panel.locator(".marker.onset")
    assert marker.locator(".marker-label").text_content() == "onset: Initialization (step 200)"
    left, width = marker.evaluate("(m) => [parseFloat(m.style.left), m.parentElement.clientWidth]")
    assert abs(left - width * 200 / 400) < 0.01
    flagged = panel.locator(".layer-label.flagged").all_text_contents()
    assert flagged == ["dense_4", "dense_5"]

    finding.locator("button.copy").click()
    tab.wait_until(lambda: finding.locator("button.copy").text_content() == "Copied", timeout=5)
    assert tab.frame.evaluate("() => navigator.clipboard.readText()") == FINDINGS["findings"][0]["snippet"]


def test_a_missing_diagnosis_route_shows_nothing_and_a_failing_one_an_error(tensorboard, new_tab):
    tab = new_tab()
    tab.expected_errors = ["status of 404", "status of 500"]
    tab.page.route(
        lambda url: "/diagnosis?" in url and "run=grow" in url,
        lambda route: route.fulfill(status=404, content_type="text/plain", body="Not found"),
    )
    tab.page.route(
        lambda url: "/diagnosis?" in url and "run=calm" in url,
        lambda route: route.fulfill(status=500, content_type="text/plain", body="diagnosis exploded"),
    )
    with tab.page.expect_response(lambda response: "diagnosis?run=grow" in response.url):
        tab.open(tensorboard, view_hash(["calm", "grow"]))
    error = tab.panel("calm").locator(".findings .error-text")
    error.wait_for()
    assert re.fullmatch(
        r"Could not load the diagnosis: 500 .* for diagnosis\?run=calm: diagnosis exploded", error.text_content()
    )
    next_frame(tab.frame)
    assert tab.panel("grow").locator(".findings").is_hidden()
    assert tab.panel("grow").locator(".status-badge").is_hidden()
    assert tab.panel("grow").locator(".marker").count() == 0


def test_loading_empty_and_failed_states(tensorboard, new_tab):
    held = []
    tab = new_tab()
    tab.expected_errors = ["status of 500"]
    tab.page.route(lambda url: "/overview?" in url and "run=grow" in url, lambda route: held.append(route))
    tab.page.route(
        lambda url: "/overview?" in url and "run=calm" in url,
        lambda route: route.fulfill(status=500, content_type="text/plain", body="server exploded"),
    )
    tab.page.route(
        lambda url: "/overview?" in url and "run=unstable" in url,
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            body=json.dumps({"run": "unstable", "layers": [], "steps": [], "stepEnds": [], "values": []}),
        ),
    )
    tab.page.goto(tensorboard + "/#saturation" + view_hash(["calm", "grow", "unstable"]))
    frame = tab.wait_for_plugin_frame()
    tab.wait_until(lambda: held)
    assert tab.panel("grow").locator(".plot-message.loading").text_content() == "Loading…"
    held[0].continue_()
    frame.wait_for_function("() => performance.getEntriesByName('saturation-first-paint').length > 0")
    message = tab.panel("calm").locator(".plot-message.error").text_content()
    assert re.fullmatch(
        r"Could not load the overview: 500 .* for overview\?run=calm&maxSteps=\d+: server exploded", message
    )
    supported = ", ".join(route_json(tensorboard, "runs")["activations"])  # as the server names them
    assert supported.startswith("sigmoid, tanh, relu")
    assert tab.panel("unstable").locator(".plot-message.empty").text_content() == (
        "This run has no layer with a supported activation (%s)." % supported
    )
    tab.panel("grow").locator(".layer-label").first.wait_for()

    empty = new_tab()
    empty.page.route(
        lambda url: url.endswith(ROUTE + "runs"),
        lambda route: route.fulfill(status=200, content_type="application/json", body='{"runs": []}'),
    )
    empty.open(tensorboard)
    assert empty.frame.locator(".notice").text_content().startswith("No saturation data yet.")

    broken = new_tab()
    broken.expected_errors = ["status of 503"]
    broken.page.route(
        lambda url: url.endswith(ROUTE + "runs"),
        lambda route: route.fulfill(status=503, content_type="text/plain", body="warming up"),
    )
    broken.open(tensorboard)
    assert re.fullmatch(
        r"Could not load the list of runs: 503 .* for runs: warming up", broken.frame.locator(".notice").text_content()
    )


def test_dark_mode_follows_tensorboard(tensorboard, new_tab):
    tab = new_tab().open(tensorboard, view_hash(["calm", "grow"], "dense_3"))
    detail_line = tab.frame.locator(".detail-panel").first.locator(".derivative-plot canvas:not([hidden])")
    detail_line.wait_for()
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert tab.frame.evaluate(background) == "rgb(255, 255, 255)"
    count_colour = """(canvas, rgb) => {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] === rgb[0] && data[i + 1] === rgb[1] && data[i + 2] === rgb[2]) count++;
        }
        return count;
    }"""
    light_line, dark_line = [25, 118, 210], [100, 181, 246]
    assert detail_line.evaluate(count_colour, light_line) > 100
    tab.page.evaluate("() => document.body.classList.add('dark-mode')")
    tab.frame.wait_for_function("() => getComputedStyle(document.body).backgroundColor === 'rgb(48, 48, 48)'")
    tab.wait_until(lambda: detail_line.evaluate(count_colour, dark_line) > 100, timeout=10)
    assert detail_line.evaluate(count_colour, light_line) == 0
    tab.frame.locator(".findings:not([hidden])").first.wait_for()
    next_frame(tab.frame)
    tab.screenshot("screenshot-dark.png")
    tab.page.evaluate("() => document.body.classList.remove('dark-mode')")
    tab.frame.wait_for_function("() => getComputedStyle(document.body).backgroundColor === 'rgb(255, 255, 255)'")


def test_hostile_run_and_tag_names_are_shown_as_text(tensorboard, new_tab):
    tab = new_tab().open(tensorboard)  # no view in the URL: the first run, which is the hostile one
    assert tab.selected_runs() == [HOSTILE_RUN]
    assert tab.frame.locator(".panel-run").first.text_content() == HOSTILE_RUN
    assert tab.layer_labels(HOSTILE_RUN) == [HOSTILE_TAG, "ok"]
    tab.panel(HOSTILE_RUN).locator(".layer-label").first.click()
    tab.frame.locator(".detail-panel .derivative-plot canvas:not([hidden])").wait_for()
    assert tab.frame.locator(".section-layer").text_content() == HOSTILE_TAG
    box = tab.panel(HOSTILE_RUN).locator("canvas").bounding_box()
    tab.panel(HOSTILE_RUN).locator(".plot-area").hover(position={"x": box["width"] / 2, "y": box["height"] / 4})
    assert tab.frame.locator(".sat-tooltip").inner_text().split("\n")[:2] == [HOSTILE_RUN, "layer " + HOSTILE_TAG]
    assert tab.frame.evaluate("() => document.querySelectorAll('img').length") == 0
    injected_scripts = "() => [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length"
    assert tab.frame.evaluate(injected_scripts) == 0
    assert tab.frame.evaluate("() => window.__pwned") is None
    assert tab.page.evaluate("() => window.__pwned") is None


def test_reload_keeps_the_selection_and_shows_new_data_under_load_fast(tmp_path, browser, new_tab):
    root = str(tmp_path / "logs")
    logs.write_run(root, "alpha", steps=range(0, 100, 10))
    logs.write_run(root, "beta", steps=range(0, 100, 10), seed=1)
    with serve(root, load_fast="true") as url:
        wait_for(lambda: all_runs_loaded(url, {"alpha": {90}, "beta": {90}}))
        tab = new_tab().open(url, view_hash(["alpha", "beta"], "dense_1"))
        tab.frame.locator(".detail-panel .derivative-plot canvas:not([hidden])").first.wait_for()
        assert tab.panel("alpha").locator(".panel-meta").text_content() == "4 layers · steps 0–90"

        logs.write_run(root, "alpha", steps=range(100, 200, 10), seed=3)  # the run grows
        logs.write_run(root, "gamma", steps=range(0, 50, 10), seed=2)  # a new run
        wait_for(lambda: all_runs_loaded(url, {"alpha": {190}, "beta": {90}, "gamma": {40}}))
        tab.page.locator("button.reload-button").click()

        tab.frame.locator(".run-choice", has_text="gamma").wait_for()
        tab.wait_until(lambda: tab.panel("alpha").locator(".panel-meta").text_content() == "4 layers · steps 0–190")
        assert tab.selected_runs() == ["alpha", "beta"]
        assert tab.frame.locator(".section-layer").text_content() == "dense_1"
        assert tab.frame.locator(".detail-panel").count() == 2
        assert tab.layer_labels("alpha") == ["dense", "dense_1", "dense_2", "dense_3"]
