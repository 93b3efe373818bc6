"""First full paint of the Saturation tab in headless Chromium: one big run, or a sweep of 300 runs.

Default: one run of 50 sigmoid layers x 1000 steps (small samples). `--sweep`:
300 runs x 8 layers x 100 steps, all 300 selected through the URL (as after
"select all"), of which the tab fetches and draws the panels in view. Starts
the real `tensorboard` on a loopback port, waits until it holds every step,
then opens the tab several times in headless Chromium (the Debian
/usr/bin/chromium, through Playwright) and reads the performance measure the
tab records, `saturation-first-paint`: from the start of `render()` to the
overview heatmap of every visible selected run drawn. The fetches of GET runs
and GET overview are inside that interval, so the number is what a user waits.
Prints each repetition (with the overview requests' share), then the median.
Budgets (README, performance): one big run under 1 s; the sweep under 2 s.

    .venv/bin/python benchmarks/bench_tab_paint.py [--sweep] [--repetitions 7] [--load_fast false] [--logdir DIR]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from tensorboard.compat.proto import event_pb2  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402

from tensorboard_plugin_saturation import summary  # noqa: E402
from tests import logs  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.tensorboard_process import get_json, serve, wait_for  # noqa: E402

RUN = "big"
LAYERS = tuple("dense_%d" % i for i in range(50))
STEPS = 1000
BUDGET_MS = 1000.0
SWEEP_RUNS = tuple("sweep_%03d" % i for i in range(300))
SWEEP_LAYERS = tuple("dense_%d" % i for i in range(8))
SWEEP_STEPS = 100
SWEEP_BUDGET_MS = 2000.0
VIEWPORT = {"width": 1400, "height": 900}

# Reads the tab's own measure and the overview requests' durations from the plugin frame.
READ_TIMINGS = """() => {
    const paint = performance.getEntriesByName('saturation-first-paint', 'measure')[0];
    const end = paint.startTime + paint.duration;
    const overviews = performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/overview?') && e.responseEnd <= end);
    const lastOverview = Math.max(...overviews.map((e) => e.responseEnd));
    const runs = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname.endsWith('/runs'));
    return {
        paintMs: paint.duration,
        runsMs: runs.responseEnd - runs.startTime,
        overviews: overviews.length,
        overviewMs: Math.max(...overviews.map((e) => e.responseEnd - e.startTime)),
        drawMs: end - lastOverview,
        columns: Math.max(...overviews.map((e) => Number(new URL(e.name).searchParams.get('maxSteps')))),
        panels: document.querySelectorAll('.run-panel').length,
        drawnPanels: document.querySelectorAll('.run-panel:has(.layer-label)').length,
        labels: document.querySelectorAll('.run-panel .layer-label').length,
    };
}"""


def write_logs(logdir):
    start = time.perf_counter()
    logs.write_run(logdir, RUN, layers=LAYERS, steps=range(STEPS), samples=8, units=8)
    print("wrote %d layers x %d steps in %.1f s" % (len(LAYERS), STEPS, time.perf_counter() - start))


def write_sweep(logdir):
    """300 runs x 8 layers x 100 steps; each event reuses one of 16 summaries per layer (distinct saturations)."""
    start = time.perf_counter()
    rng = np.random.default_rng(0)
    pool = [
        [summary.saturation_pb(tag, logs.layer_activations(rng, 8, 8, 0.5 + k), layer_index=i) for k in range(16)]
        for i, tag in enumerate(SWEEP_LAYERS)
    ]
    for r, run in enumerate(SWEEP_RUNS):
        writer = EventFileWriter(os.path.join(logdir, run))
        try:
            for step in range(SWEEP_STEPS):
                for i in range(len(SWEEP_LAYERS)):
                    pb = pool[i][(r + i + step // 10) % 16]
                    writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
        finally:
            writer.close()
    print(
        "wrote %d runs x %d layers x %d steps in %.1f s"
        % (len(SWEEP_RUNS), len(SWEEP_LAYERS), SWEEP_STEPS, time.perf_counter() - start)
    )


def all_steps_loaded(url, runs, layers, steps):
    try:
        answer = {r["run"]: r["layers"] for r in get_json(url + "/data/plugin/saturation/runs")["runs"]}
    except (OSError, ValueError):  # a cold GET runs of a sweep can outlast the client's timeout: ask again
        return False
    return all(
        len(answer.get(run, [])) == len(layers) and {layer["maxStep"] for layer in answer[run]} == {steps - 1}
        for run in runs
    )


def plugin_frame(page):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "plugin_entry.html" in frame.url:
                return frame
        page.wait_for_timeout(50)
    raise TimeoutError("TensorBoard did not load the plugin's iframe")


def measure(url, repetitions, hash_state, expect_labels):
    """First-paint times of `repetitions` fresh page loads; `expect_labels(timings)` checks what was drawn."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            for repetition in range(repetitions):
                page = context.new_page()
                page.goto(url + "/#saturation" + hash_state)
                frame = plugin_frame(page)
                frame.wait_for_function(
                    "() => performance.getEntriesByName('saturation-first-paint', 'measure').length > 0",
                    timeout=60000,
                )
                timings = frame.evaluate(READ_TIMINGS)
                expect_labels(timings)
                results.append(timings["paintMs"])
                print(
                    "repetition %d: first paint %.0f ms (GET runs %.0f ms; %d of %d panels drawn; %d GET overview, "
                    "the slowest %.0f ms, maxSteps up to %d; draw after the last: %.0f ms)"
                    % (repetition + 1, timings["paintMs"], timings["runsMs"], timings["drawnPanels"],
                       timings["panels"], timings["overviews"], timings["overviewMs"], timings["columns"],
                       timings["drawMs"])
                )
                page.close()
        finally:
            browser.close()
    return results


def check_big_run(timings):
    if timings["labels"] != len(LAYERS):
        raise RuntimeError("expected %d layer rows, the tab drew %d" % (len(LAYERS), timings["labels"]))


def check_sweep(timings):
    if timings["panels"] != len(SWEEP_RUNS) or not timings["drawnPanels"]:
        raise RuntimeError("expected %d panels, some drawn; got %r" % (len(SWEEP_RUNS), timings))
    if timings["labels"] != timings["drawnPanels"] * len(SWEEP_LAYERS):
        raise RuntimeError("a drawn panel lacks layer rows: %r" % timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="300 runs x 8 layers x 100 steps, all selected")
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--load_fast", default="false", choices=("false", "true"))
    parser.add_argument("--logdir", help="reuse (or create) logs here instead of a temporary directory")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit("needs Chromium at %s" % CHROMIUM)

    if args.sweep:
        runs, layers, steps, budget = SWEEP_RUNS, SWEEP_LAYERS, SWEEP_STEPS, SWEEP_BUDGET_MS
        write, check = write_sweep, check_sweep
        hash_state = "&p.saturation.runs=" + urllib.parse.quote(json.dumps(list(SWEEP_RUNS)), safe="")
    else:
        runs, layers, steps, budget = (RUN,), LAYERS, STEPS, BUDGET_MS
        write, check, hash_state = write_logs, check_big_run, ""
    with tempfile.TemporaryDirectory() as scratch:
        logdir = args.logdir or os.path.join(scratch, "logs")
        if not all(os.path.isdir(os.path.join(logdir, run)) for run in runs):
            write(logdir)
        with serve(logdir, load_fast=args.load_fast, timeout=180) as url:
            start = time.perf_counter()
            wait_for(lambda: all_steps_loaded(url, runs, layers, steps), timeout=900, interval=2)
            loaded_s = time.perf_counter() - start
            print("tensorboard (--load_fast=%s) holds every step after %.1f s" % (args.load_fast, loaded_s))
            results = measure(url, args.repetitions, hash_state, check)

    median = statistics.median(results)
    verdict = "within" if median < budget else "OVER"
    print(
        "median first paint over %d repetitions: %.0f ms (%s the %.0f ms budget)"
        % (len(results), median, verdict, budget)
    )


if __name__ == "__main__":
    main()
