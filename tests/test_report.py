"""The report CLI: readable and JSON output, exit codes, errors."""

import json
import os
import subprocess
import sys

import pytest

from tensorboard_plugin_saturation import diagnosis
from tensorboard_plugin_saturation import report
from tests.logs import signals_rows
from tests.logs import write_diagnosis_logs
from tests.logs import write_layers_run as write_run


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """One healthy run with callback signals, one saturated run with statistics only."""
    logdir = str(tmp_path_factory.mktemp("mixed"))
    write_run(logdir, "healthy", [("dense", "tanh", {0: 0.0, 45: 0.01, 90: 0.03}, signals_rows())])
    write_run(logdir, "raw_inputs", [
        ("dense", "sigmoid", {0: 0.95, 45: 0.96, 90: 0.97}, None),
        ("dense_1", "sigmoid", {0: 0.0, 45: 0.0, 90: 0.0}, None),
    ])
    return logdir


@pytest.fixture(scope="module")
def healthy_only(tmp_path_factory):
    logdir = str(tmp_path_factory.mktemp("healthy"))
    write_run(logdir, "run", [("dense", "sigmoid", {0: 0.0, 45: 0.1, 90: 0.39}, None)])
    return logdir


def test_text_report_has_one_block_per_run(mixed, capsys):
    assert report.main([mixed]) == 0
    assert capsys.readouterr().out == (
        "Saturation report for " + mixed + ": 1 of 2 runs saturated\n"
        "\n"
        "healthy: healthy\n"
        "\n"
        "raw_inputs: SATURATED\n"
        "  1. cause: input_scaling; layers: dense; since step 0\n"
        "     evidence: activations of dense saturated: 95% at step 0, 97% at step 90; mean derivative\n"
        "               0.00847 at step 90, 3% of the sigmoid maximum 0.25; only the first layer is saturated\n"
        "               from step 0, which points to unscaled inputs; log with SaturationCallback to see the\n"
        "               input std\n"
        "     remedy:   Standardize the inputs to zero mean and unit variance: adapt a\n"
        "               keras.layers.Normalization layer to the training data and put it first (or use\n"
        "               sklearn's StandardScaler).\n"
        "     fix:\n"
        "       import keras\n"
        "\n"
        "       normalizer = keras.layers.Normalization()\n"
        "       normalizer.adapt(x_train)  # learns each feature's mean and variance\n"
        "       inputs = keras.Input(shape=x_train.shape[1:])\n"
        "       model = keras.Model(inputs, model(normalizer(inputs)))\n"
    )


def test_json_report_is_the_diagnosis_of_every_run(mixed, capsys):
    assert report.main([mixed, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == report.diagnose_logdir(mixed)
    assert printed["runs"]["healthy"] == {"run": "healthy", "status": "healthy", "findings": []}
    finding = printed["runs"]["raw_inputs"]["findings"][0]
    assert (finding["cause"], finding["layers"], finding["step"], finding["snippet"]) == (
        "input_scaling", ["dense"], 0, diagnosis.remedies.INPUT_SNIPPET)


@pytest.mark.parametrize("flags, code", [([], 0), (["--fail-on-saturated"], 1), (["--json", "--fail-on-saturated"], 1)])
def test_fail_on_saturated_exits_1_when_a_run_is_saturated(mixed, capsys, flags, code):
    assert report.main([mixed] + flags) == code


def test_fail_on_saturated_exits_0_when_every_run_is_healthy(healthy_only, capsys):
    assert report.main([healthy_only, "--fail-on-saturated"]) == 0
    assert "0 of 1 runs saturated" in capsys.readouterr().out


def test_all_signatures_in_one_logdir(tmp_path):
    runs = report.diagnose_logdir(write_diagnosis_logs(str(tmp_path)))["runs"]
    assert {run: [f["cause"] for f in d["findings"]] for run, d in runs.items()} == {
        "bad_init": ["initialization"],
        "healthy": [],
        "high_lr": ["learning_rate"],
        "raw_inputs": ["input_scaling"],
        "relu": ["learning_rate"],
    }


def test_missing_logdir_is_a_clear_error_with_exit_2(tmp_path, capsys):
    missing = str(tmp_path / "nope")
    assert report.main([missing]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "saturation-report: error: log directory %r does not exist; expected a directory of event files\n" % missing
    )


def test_a_file_instead_of_a_logdir_exits_2(tmp_path, capsys):
    path = tmp_path / "events.txt"
    path.write_text("not a directory")
    assert report.main([str(path)]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_a_logdir_without_saturation_data_exits_2(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    assert report.main([str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "saturation-report: error: no saturation data under %r; expected event files written by "
        "SaturationCallback or summary.saturation\n" % str(tmp_path)
    )


def test_python_dash_m_runs_the_report(mixed):
    process = subprocess.run(
        [sys.executable, "-m", "tensorboard_plugin_saturation.report", mixed, "--json", "--fail-on-saturated"],
        capture_output=True, text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert process.returncode == 1, process.stderr
    assert json.loads(process.stdout) == report.diagnose_logdir(mixed)


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        report.main([])
    assert exit_info.value.code == 2
    assert "the following arguments are required: LOGDIR" in capsys.readouterr().err


# -- The command line in a real process (issue 13, point 8) -------------------------------------

REPORT = [sys.executable, "-m", "tensorboard_plugin_saturation.report"]


def test_a_run_directory_is_named_by_its_folder(mixed):
    run_dir = os.path.join(mixed, "raw_inputs")
    done = subprocess.run(REPORT + [run_dir, "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)["runs"]
    assert list(runs) == ["raw_inputs"] and runs["raw_inputs"]["run"] == "raw_inputs"
    done = subprocess.run(REPORT + [run_dir + os.sep], capture_output=True, text=True, timeout=300)
    lines = done.stdout.splitlines()
    assert lines[0] == "Saturation report for %s: 1 of 1 runs saturated" % (run_dir + os.sep)
    assert lines[2] == "raw_inputs: SATURATED"


def test_a_reader_that_stops_early_ends_the_report_quietly(mixed):
    process = subprocess.Popen(REPORT + [mixed], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the report writes anything
    errors = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors


def test_piping_into_head_is_quiet(mixed):
    command = " ".join(REPORT + [mixed, "--json"]) + " | head -n 1"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300)
    assert done.stdout == "{\n"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
