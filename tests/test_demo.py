"""The demo end to end: six real trainings on digits, each diagnosed as intended."""

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXPECTED = {
    "bad_init": "initialization",
    "high_lr": "learning_rate",
    "raw_inputs": "input_scaling",
    "glorot_init": None,
    "lr_decay": None,
    "standardized": None,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("demo") / "logs")
    subprocess.run([sys.executable, os.path.join(REPO, "demo", "train.py"), "--logdir", logdir],
                   check=True, capture_output=True, text=True)
    out = subprocess.run([sys.executable, "-m", "tensorboard_plugin_saturation.report", logdir, "--json"],
                         check=True, capture_output=True, text=True)
    failing = subprocess.run(
        [sys.executable, "-m", "tensorboard_plugin_saturation.report", logdir, "--fail-on-saturated"],
        capture_output=True, text=True)
    return json.loads(out.stdout)["runs"], failing.returncode


def test_demo_logs_the_six_runs(report):
    runs, _ = report
    assert sorted(runs) == sorted(EXPECTED)


@pytest.mark.parametrize("run, cause", sorted(EXPECTED.items()))
def test_each_failing_run_is_diagnosed_with_its_cause_and_each_fix_is_healthy(report, run, cause):
    diagnosis = report[0][run]
    if cause is None:
        assert diagnosis["status"] == "healthy" and diagnosis["findings"] == []
    else:
        assert diagnosis["status"] == "saturated"
        assert diagnosis["findings"][0]["cause"] == cause


def test_input_scaling_points_at_the_first_layer_only(report):
    finding = report[0]["raw_inputs"]["findings"][0]
    assert finding["layers"] == ["hidden_1"] and finding["step"] == 0


def test_initialization_is_present_from_step_zero_in_every_layer(report):
    finding = report[0]["bad_init"]["findings"][0]
    assert finding["step"] == 0 and finding["layers"] == ["hidden_1", "hidden_2", "hidden_3", "hidden_4"]


def test_fail_on_saturated_exits_1(report):
    assert report[1] == 1
