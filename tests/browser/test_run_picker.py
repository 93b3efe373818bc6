"""A sweep of 300 runs in the real TensorBoard: the run picker and the lazily drawn overview."""

import os

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from tensorboard_plugin_saturation import summary
from tests.browser.conftest import ROUTE
from tests.tensorboard_process import get_json, serve, wait_for

RUNS = ["sweep_%03d" % i for i in range(300)]
SATURATED = {run for i, run in enumerate(RUNS) if i % 7 == 0}  # saturated from the first step
LAYERS = ("dense", "dense_1")
STEPS = range(0, 50, 10)


def write_sweep(logdir):
    """300 runs of 2 sigmoid layers x 5 steps, written TF-free; every 7th run is saturated throughout."""
    calm = np.full((8, 4), 0.5, np.float32)
    stuck = np.full((8, 4), 0.9999, np.float32)
    for run in RUNS:
        data = stuck if run in SATURATED else calm
        writer = EventFileWriter(os.path.join(logdir, run))
        try:
            for step in STEPS:
                for index, tag in enumerate(LAYERS):
                    pb = summary.saturation_pb(tag, data, layer_index=index)
                    writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
        finally:
            writer.close()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, browser):
    logdir = str(tmp_path_factory.mktemp("sweep") / "logs")
    write_sweep(logdir)
    with serve(logdir, load_fast="false") as url:
        wait_for(lambda: len(get_json(url + ROUTE + "runs")["runs"]) == len(RUNS), timeout=120, interval=1)
        yield url


def drawn_panels(tab):
    """The runs whose overview heatmap is drawn (its layer labels are there)."""
    return tab.frame.locator(".run-panel:has(.layer-label) .panel-run").all_text_contents()


def overview_requests(tab):
    return tab.frame.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter((entry) => entry.name.includes('/overview?'))
            .map((entry) => new URL(entry.name).searchParams.get('run'))"""
    )


def test_a_regex_filter_selects_every_matching_run_and_the_overview_draws_them_as_they_scroll_in(sweep, new_tab):
    tab = new_tab().open(sweep)
    picker = tab.frame.locator(".run-picker")
    assert picker.locator(".run-choice").count() == 300
    assert tab.selected_runs() == ["sweep_000"]
    assert picker.locator(".run-count").text_content() == "1 of 300 selected"

    picker.locator(".run-filter").fill(r"^sweep_1\d\d$")
    tab.wait_until(lambda: picker.locator(".run-choice").count() == 100)
    assert picker.locator(".run-all-text").text_content() == "All 100 matching"
    assert picker.locator(".run-name").first.text_content() == "sweep_100"
    picker.locator(".run-all-box").click()
    tab.wait_until(lambda: picker.locator(".run-count").text_content() == "101 of 300 selected")
    assert picker.locator(".run-all-box").is_checked()

    # 101 panels, but only those near the visible part of the page are fetched and drawn.
    assert tab.frame.locator(".run-panel").count() == 101
    tab.wait_until(lambda: len(drawn_panels(tab)) >= 3)
    drawn = drawn_panels(tab)
    assert drawn[:3] == ["sweep_000", "sweep_100", "sweep_101"]
    assert len(drawn) < 30
    assert sorted(set(overview_requests(tab))) == sorted(drawn)

    last = tab.panel("sweep_199")
    last.scroll_into_view_if_needed()
    tab.wait_until(lambda: last.locator(".layer-label").count() == len(LAYERS))
    assert "sweep_199" in overview_requests(tab)
    assert len(set(overview_requests(tab))) < 60

    # A filter that is no regular expression is matched as text.
    picker.locator(".run-filter").fill("sweep_(")
    tab.wait_until(lambda: picker.locator(".run-filter-error").is_visible())
    assert picker.locator(".run-choice").count() == 0
    assert picker.locator(".run-filter-error").text_content().startswith("Not a regular expression (")


def test_sorting_by_status_lists_the_saturated_runs_first_with_their_status(sweep, new_tab):
    tab = new_tab().open(sweep)
    picker = tab.frame.locator(".run-picker")
    picker.locator(".run-filter").fill("sweep_0")  # 100 runs, 15 of them saturated
    tab.wait_until(lambda: picker.locator(".run-choice").count() == 100)
    picker.locator(".run-sort button[data-sort='status']").click()
    statuses = picker.locator(".run-choice .run-status")
    tab.wait_until(lambda: statuses.evaluate_all("(all) => all.every((s) => s.textContent)"), timeout=120)
    names = picker.locator(".run-name").all_text_contents()
    words = statuses.all_text_contents()
    saturated = sorted(run for run in SATURATED if run.startswith("sweep_0"))
    assert len(saturated) == 15
    assert names == saturated + sorted(set(RUNS[:100]) - set(saturated))
    assert words == ["saturated"] * 15 + ["healthy"] * 85
    assert picker.locator(".run-sort button[data-sort='status']").get_attribute("aria-pressed") == "true"
    picker.locator(".run-sort button[data-sort='name']").click()
    tab.wait_until(lambda: picker.locator(".run-name").first.text_content() == "sweep_000")
    assert picker.locator(".run-name").all_text_contents() == RUNS[:100]
