"""GET diagnosis?run=RUN through TensorBoardWSGI, and its agreement with the report CLI."""

import math
import os

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.proto import summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import report
from tensorboard_plugin_saturation import summary
from tests.conftest import make_client

ROOT = "/data/plugin/saturation"
STEPS = (0, 45, 90)


def activations(share, activation="sigmoid", samples=100, units=10, dead_units=0):
    """[samples, units] activations with exactly `share` of them saturated (relu: `dead_units` all zero)."""
    if activation == "relu":
        data = np.ones((samples, units), np.float32)
        data[:, :dead_units] = 0.0
        return data
    values = np.full(samples * units, 0.5 if activation == "sigmoid" else 0.0, np.float32)
    values[: int(round(share * samples * units))] = 0.001 if activation == "sigmoid" else -0.999
    return values.reshape(samples, units)


def signals_value(tag, row):
    """The `NAME/signals` summary value the callback writes, from a row of the first SIGNALS_FIELDS.

    A row shorter than SIGNALS_FIELDS is logged with the layout of that many
    fields, as a version that had fewer signals wrote it.
    """
    signals_tag = tag + metadata.SIGNALS_SUFFIX
    content = dict(metadata.signals_content(tag), fields=list(metadata.SIGNALS_FIELDS[: len(row)]))
    pb = summary_pb2.Summary()
    pb.value.add(
        tag=signals_tag,
        metadata=metadata.create_summary_metadata(signals_tag, None, content),
        tensor=tensor_util.make_tensor_proto(np.asarray(row, np.float64)),
    )
    return pb.value[0]


def write_run(logdir, run, layers):
    """layers: [(tag, activation, {step: share or dead units}, {step: signals row} or None)]."""
    writer = EventFileWriter(os.path.join(logdir, run))
    for step in STEPS:
        for index, (tag, activation, values, signals) in enumerate(layers):
            data = (activations(0.0, "relu", dead_units=values[step]) if activation == "relu"
                    else activations(values[step], activation))
            pb = summary.saturation_pb(tag, data, activation=activation, layer_index=index)
            if signals is not None:
                pb.value.append(signals_value(tag, signals[step]))
            writer.add_event(event_pb2.Event(step=step, wall_time=1000.0 + step, summary=pb))
    writer.close()


def signals_rows(input_std=0.93, kernel=0.0625, glorot=0.0625, updates=(math.nan, 0.1, 0.1), lr=0.001):
    return {step: [input_std, 3.0, kernel, glorot, update, lr] for step, update in zip(STEPS, updates)}


def write_diagnosis_logs(logdir):
    """Five runs written with the real API: the four product signatures and a dead-ReLU run."""
    bad = signals_rows(kernel=1.0)
    write_run(logdir, "bad_init", [
        ("dense", "sigmoid", {0: 0.5, 45: 0.5, 90: 0.5}, bad),
        ("dense_1", "sigmoid", {0: 0.69, 45: 0.7, 90: 0.7}, bad),
    ])
    high = signals_rows(updates=(math.nan, 27.0, 0.0), lr=0.3)
    write_run(logdir, "high_lr", [
        ("dense", "sigmoid", {0: 0.0, 45: 0.83, 90: 0.83}, high),
        ("dense_1", "sigmoid", {0: 0.0, 45: 1.0, 90: 1.0}, high),
    ])
    write_run(logdir, "healthy", [
        ("dense", "tanh", {0: 0.0, 45: 0.01, 90: 0.03}, signals_rows()),
        ("dense_1", "tanh", {0: 0.0, 45: 0.2, 90: 0.3}, signals_rows()),
    ])
    write_run(logdir, "raw_inputs", [  # statistics only, no signals
        ("dense", "sigmoid", {0: 0.95, 45: 0.96, 90: 0.97}, None),
        ("dense_1", "sigmoid", {0: 0.0, 45: 0.0, 90: 0.0}, None),
    ])
    write_run(logdir, "relu", [
        ("conv", "relu", {0: 0, 45: 4, 90: 9}, signals_rows(updates=(math.nan, 0.5, 0.5), lr=0.05)),
    ])
    return logdir


RUNS = ("bad_init", "healthy", "high_lr", "raw_inputs", "relu")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    return write_diagnosis_logs(str(tmp_path_factory.mktemp("diagnosis")))


@pytest.fixture(scope="module")
def client(logdir):
    return make_client(logdir)[0]


def test_diagnosis_route_answers_json_for_a_saturated_run(client):
    response = client.get(ROOT + "/diagnosis?run=bad_init")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert body["run"] == "bad_init" and body["status"] == "saturated"
    assert [(f["cause"], f["layers"], f["step"]) for f in body["findings"]] == [
        ("initialization", ["dense", "dense_1"], 0)]
    assert body["findings"][0]["evidence"] == (
        "activations of dense_1 saturated: 69% at step 0, 70% at step 90; "
        "mean derivative 0.0757 at step 90, 30% of the sigmoid maximum 0.25; "
        "kernel std 1 = 16x the Glorot std 0.0625 at step 0, at least 2x; "
        "2 layers saturated at their last step: dense 50%, dense_1 70%"
    )
    assert set(body["findings"][0]) == {"cause", "layers", "step", "evidence", "remedy", "snippet"}


@pytest.mark.parametrize("run, expected", [
    ("healthy", ("healthy", [])),
    ("high_lr", ("saturated", [("learning_rate", ["dense", "dense_1"], 45)])),
    ("raw_inputs", ("saturated", [("input_scaling", ["dense"], 0)])),
    ("relu", ("saturated", [("learning_rate", ["conv"], 90)])),
])
def test_diagnosis_route_finds_each_signature(client, run, expected):
    body = client.get(ROOT + "/diagnosis?run=" + run).get_json()
    assert (body["status"], [(f["cause"], f["layers"], f["step"]) for f in body["findings"]]) == expected


def test_route_and_report_cli_give_the_same_answer(client, logdir):
    from_cli = report.diagnose_logdir(logdir)["runs"]
    assert sorted(from_cli) == list(RUNS)
    for run in RUNS:
        assert client.get(ROOT + "/diagnosis?run=" + run).get_json() == from_cli[run], run


@pytest.mark.parametrize("query, code, message", [
    ("", 400, "missing query parameter 'run'"),
    ("?run=", 400, "query parameter 'run' must be 1 to 4096 characters; got 0"),
    ("?run=nope", 404, "no saturation data for run 'nope'"),
])
def test_diagnosis_route_errors(client, query, code, message):
    response = client.get(ROOT + "/diagnosis" + query)
    assert response.status_code == code
    assert message in response.get_data(as_text=True)


def test_read_run_aligns_signals_by_step_and_skips_unknown_activations(tmp_path):
    import dataclasses

    from tensorboard_plugin_saturation import activations as activations_lib
    from tensorboard_plugin_saturation import diagnosis

    logdir = str(tmp_path)
    writer = EventFileWriter(os.path.join(logdir, "run"))
    gelu = dataclasses.replace(activations_lib.get("relu"), name="gelu", edges=(0.0, 1.0))  # from a newer version
    gelu_metadata = metadata.create_summary_metadata("gelu_layer", None, metadata.layer_content(gelu, 0.01, 10))
    for step in STEPS:
        pb = summary.saturation_pb("dense", activations(0.1), layer_index=0)
        if step != 45:  # no signals logged at step 45
            pb.value.append(signals_value("dense", [float(step), 1.0, 0.1, 0.05, 0.2, 0.01]))
        values = np.zeros(len(metadata.STATS_FIELDS) + 1)
        pb.value.add(tag="gelu_layer", metadata=gelu_metadata, tensor=tensor_util.make_tensor_proto(values))
        writer.add_event(event_pb2.Event(step=step, wall_time=1000.0 + step, summary=pb))
    writer.close()

    reader = report.open_logdir(logdir)
    [layer] = diagnosis.read_run(reader, report.CONTEXT, report.EXPERIMENT_ID, "run")
    assert (layer.tag, layer.activation, layer.units, layer.steps.tolist()) == ("dense", "sigmoid", 10, [0, 45, 90])
    assert layer.stats["saturatedLow"].tolist() == [0.1, 0.1, 0.1]
    np.testing.assert_array_equal(layer.signals["inputStd"], [0.0, np.nan, 90.0])
    assert diagnosis.read_run(reader, report.CONTEXT, report.EXPERIMENT_ID, "nope") is None
