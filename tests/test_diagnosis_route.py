"""GET diagnosis?run=RUN through TensorBoardWSGI, and its agreement with the report CLI."""

import os

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import report
from tensorboard_plugin_saturation import summary
from tests.conftest import make_client
from tests.logs import STEPS, exact_activations, signals_value, write_diagnosis_logs

ROOT = "/data/plugin/saturation"


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
        pb = summary.saturation_pb("dense", exact_activations(0.1), layer_index=0)
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
