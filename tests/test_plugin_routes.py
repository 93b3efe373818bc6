"""The HTTP routes, through TensorBoardWSGI and the real data provider."""

import numpy as np
import pytest

from tensorboard_plugin_saturation import summary
from tests.conftest import make_client
from tests.logs import signals_value, with_layer_keys, write_events

ROOT = "/data/plugin/saturation"

SIGMOID = {  # step -> activations of layer "hidden" (2 samples x 3 units)
    0: [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]],
    10: [[0.005, 0.5, 0.5], [0.5, 0.5, 0.995]],
    20: [[0.005, 0.001, 0.5], [0.0, 0.5, 0.999]],
}
RELU = {0: [[0.0, 1.0]], 10: [[0.0, 0.0]], 20: [[2.0, 0.0]]}


# The `activations` part of the `runs` answer: the facts of each activation record.
ACTIVATIONS_JSON = {
    "sigmoid": {
        "low": 0.0, "high": 1.0, "maxDerivative": 0.25, "saturates": "both", "rule": "eps",
        "saturatedLabel": "saturated", "lowLabel": "near 0", "highLabel": "near 1", "stuckLabel": "stuck",
        "description": "sigmoid: saturated when y < eps or y > 1 - eps; f'(x) = y(1 - y), at most 0.25",
    },
    "tanh": {
        "low": -1.0, "high": 1.0, "maxDerivative": 1.0, "saturates": "both", "rule": "eps",
        "saturatedLabel": "saturated", "lowLabel": "near -1", "highLabel": "near 1", "stuckLabel": "stuck",
        "description": "tanh: saturated when |y| > 1 - eps; f'(x) = 1 - y^2, at most 1",
    },
    "relu": {
        "low": 0.0, "high": None, "maxDerivative": 1.0, "saturates": "low", "rule": "exact",
        "saturatedLabel": "dead", "lowLabel": "zero", "highLabel": None, "stuckLabel": "dead",
        "description": "relu: off (dead) when y == 0; f'(x) = 1[y > 0]",
    },
    "hard_sigmoid": {
        "low": 0.0, "high": 1.0, "maxDerivative": 0.16666666666666666, "saturates": "both", "rule": "exact",
        "saturatedLabel": "saturated", "lowLabel": "at 0", "highLabel": "at 1", "stuckLabel": "stuck",
        "description": "hard_sigmoid: saturated when y == 0 or y == 1; f'(x) = 1/6 for 0 < y < 1, else 0",
    },
    "relu6": {
        "low": 0.0, "high": 6.0, "maxDerivative": 1.0, "saturates": "both", "rule": "exact",
        "saturatedLabel": "saturated", "lowLabel": "zero", "highLabel": "at 6", "stuckLabel": "stuck",
        "description": "relu6: saturated when y == 0 (off) or y == 6 (clipped); f'(x) = 1[0 < y < 6]",
    },
    "softsign": {
        "low": -1.0, "high": 1.0, "maxDerivative": 1.0, "saturates": "both", "rule": "eps",
        "saturatedLabel": "saturated", "lowLabel": "near -1", "highLabel": "near 1", "stuckLabel": "stuck",
        "description": "softsign: saturated when |y| > 1 - eps; f'(x) = (1 - |y|)^2, at most 1",
    },
    "elu": {
        "low": -1.0, "high": None, "maxDerivative": 1.0, "saturates": "low", "rule": "eps",
        "saturatedLabel": "saturated", "lowLabel": "near -1", "highLabel": None, "stuckLabel": "stuck",
        "description": "elu: saturated when y < -1 + eps; f'(x) = 1 for y > 0, y + 1 below",
    },
    "selu": {
        "low": -1.7580993408473768, "high": None, "maxDerivative": 1.7580993408473766,
        "saturates": "low", "rule": "eps",
        "saturatedLabel": "saturated", "lowLabel": "near -1.758", "highLabel": None, "stuckLabel": "stuck",
        "description": "selu: saturated when y < -1.758 + eps; "
        "f'(x) = 1.0507 for y > 0, y + 1.758 below (at most 1.758, just below 0)",
    },
    "hard_tanh": {
        "low": -1.0, "high": 1.0, "maxDerivative": 1.0, "saturates": "both", "rule": "exact",
        "saturatedLabel": "saturated", "lowLabel": "at -1", "highLabel": "at 1", "stuckLabel": "stuck",
        "description": "hard_tanh: saturated when y == -1 or y == 1; f'(x) = 1[-1 < y < 1]",
    },
}


@pytest.fixture
def client(tmp_path):
    logdir = str(tmp_path)
    events = []
    for step in (0, 10, 20):
        events.append((step, summary.saturation_pb("hidden", np.float32(SIGMOID[step]), layer_index=0)))
        events.append((step, summary.saturation_pb("out", np.float32(RELU[step]), activation="relu", layer_index=1)))
    write_events(logdir, "run_b", events)
    write_events(logdir, "run_a", [(5, summary.saturation_pb("only", np.float32([[0.9]]), activation="tanh"))])
    return make_client(logdir)[0]


def test_runs_lists_runs_and_layers_in_network_order(client):
    response = client.get(ROOT + "/runs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    layer = {"hasUnits": True, "hasSignals": False}
    assert response.get_json() == {
        "runs": [
            {"run": "run_a", "layers": [dict(layer, tag="only", activation="tanh", units=1, maxStep=5)]},
            {"run": "run_b", "layers": [
                dict(layer, tag="hidden", activation="sigmoid", units=3, maxStep=20),
                dict(layer, tag="out", activation="relu", units=2, maxStep=20),
            ]},
        ],
        "limits": {"maxSteps": 10000, "maxUnits": 8192},  # the largest maxSteps and maxUnits the routes accept
        "activations": ACTIVATIONS_JSON,
        "causeLabels": {  # the tab's words for the diagnosis' causes (diagnosis.CAUSE_LABELS)
            "initialization": "Initialization",
            "learning_rate": "Learning rate",
            "input_scaling": "Input scaling",
            "activation_mismatch": "Not this activation",
            "vanishing_gradient": "Vanishing gradient",
            "unknown": "Unknown",
        },
    }


def test_runs_tell_a_recurrent_layers_gates_and_the_outputs(tmp_path):
    # As the contract has the Keras callback write them: gate series grouped by their layer, the output marked.
    data = np.float32([[0.2, 0.7]])
    pbs = [
        with_layer_keys(summary.saturation_pb("lstm/input", data, layer_index=0), group="lstm", gate="input"),
        with_layer_keys(summary.saturation_pb("lstm/cell", data, activation="tanh", layer_index=1),
                        group="lstm", gate="cell", framework="keras"),
        with_layer_keys(summary.saturation_pb("out", data, layer_index=2), output=True, framework="keras"),
        summary.saturation_pb("plain", data, layer_index=3),
        with_layer_keys(summary.saturation_pb("odd", data, layer_index=4), output="yes", group="lstm"),
    ]
    write_events(str(tmp_path), "rnn", [(0, pb) for pb in pbs])
    layers = make_client(str(tmp_path))[0].get(ROOT + "/runs").get_json()["runs"][0]["layers"]
    roles = [{key: layer[key] for key in ("tag", "group", "gate", "output") if key in layer} for layer in layers]
    assert roles == [
        {"tag": "lstm/input", "group": "lstm", "gate": "input"},
        {"tag": "lstm/cell", "group": "lstm", "gate": "cell"},
        {"tag": "out", "output": True},
        {"tag": "plain"},
        {"tag": "odd"},  # not the contract's values (output not true, a group without a gate): nothing shown
    ]


def test_overview_gives_the_saturated_share_per_layer_and_step(client):
    body = client.get(ROOT + "/overview?run=run_b").get_json()
    assert body == {
        "run": "run_b",
        "layers": ["hidden", "out"],
        "steps": [0, 10, 20],
        "stepEnds": [0, 10, 20],
        "values": [[0.0, 0.3333, 0.6667], [0.5, 1.0, 0.5]],
    }


def test_overview_downsampling_keeps_the_column_maximum(client):
    body = client.get(ROOT + "/overview?run=run_b&maxSteps=2").get_json()
    assert body["steps"] == [0, 10] and body["stepEnds"] == [0, 20]
    assert body["values"] == [[0.0, 0.6667], [0.5, 1.0]]


def test_layer_gives_every_statistic_per_step(client):
    body = client.get(ROOT + "/layer?run=run_b&tag=hidden").get_json()
    assert body["steps"] == [0, 10, 20] and body["totalSteps"] == 3
    assert body["shownSteps"] == [0, 10, 20] and body["stepEnds"] == [0, 10, 20]
    assert body["eps"] == 0.01 and body["description"] == "" and body["units"] == 3
    assert body["saturatedLow"] == [0.0, 0.166667, 0.5]
    assert body["saturatedHigh"] == [0.0, 0.166667, 0.166667]
    assert body["stuckUnits"] == [0.0, 0.0, 1.0]
    assert body["nonfinite"] == [0.0, 0.0, 0.0] and body["outOfRange"] == [0.0, 0.0, 0.0]
    assert body["meanDerivative"][0] == 0.25 and body["phi"][0] == 0.0
    assert body["histograms"][0][16] == 6.0 and sum(body["histograms"][0]) == 6.0
    assert len(body["edges"]) == 33 and body["signals"] is None
    # Exactly what the tab reads: no wall times, no count (the histogram sums the finite values).
    assert sorted(body) == [
        "activation", "description", "edges", "eps", "histograms", "mean", "meanDerivative", "nonfinite",
        "outOfRange", "phi", "run", "saturatedHigh", "saturatedLow", "shownSteps", "signals", "std", "stepEnds",
        "steps", "stuckUnits", "tag", "totalSteps", "units",
    ]
    assert body["mean"][0] == 0.5 and body["std"][0] == 0.0


def test_layer_downsampling_picks_the_most_saturated_step(client):
    body = client.get(ROOT + "/layer?run=run_b&tag=out&maxSteps=1").get_json()
    assert body["shownSteps"] == [10] and body["saturatedLow"] == [1.0] and body["stuckUnits"] == [2.0]
    assert body["steps"] == [0] and body["stepEnds"] == [20]  # the column's span, as in the overview


def test_grouped_detail_columns_span_the_overviews_columns(client):
    overview = client.get(ROOT + "/overview?run=run_b&maxSteps=2").get_json()
    layer = client.get(ROOT + "/layer?run=run_b&tag=hidden&maxSteps=2").get_json()
    units = client.get(ROOT + "/units?run=run_b&tag=hidden&maxSteps=2").get_json()
    assert overview["steps"] == layer["steps"] == units["steps"] == [0, 10]
    assert overview["stepEnds"] == layer["stepEnds"] == units["stepEnds"] == [0, 20]
    assert layer["shownSteps"] == [0, 20]  # each column shows its most saturated step


def test_a_repeated_step_counts_once_with_its_last_point_in_every_route(tmp_path):
    # A resumed run logs steps 10 and 20 again (as a second fit after a restore does), out of order.
    calm, stuck = np.float32([[0.5, 0.5]]), np.float32([[0.001, 0.999]])
    events = [(step, summary.saturation_pb("hidden", calm, layer_index=0)) for step in (0, 10, 20)]
    events += [(step, summary.saturation_pb("hidden", stuck, layer_index=0)) for step in (10, 20)]
    events += [(5, summary.saturation_pb("hidden", stuck, layer_index=0))]
    write_events(str(tmp_path), "resumed", events)
    client = make_client(str(tmp_path))[0]
    runs = client.get(ROOT + "/runs").get_json()
    assert [l["maxStep"] for l in runs["runs"][0]["layers"]] == [20]
    overview = client.get(ROOT + "/overview?run=resumed").get_json()
    assert overview["steps"] == [0, 5, 10, 20] and overview["values"] == [[0.0, 1.0, 1.0, 1.0]]
    layer = client.get(ROOT + "/layer?run=resumed&tag=hidden").get_json()
    assert layer["steps"] == layer["shownSteps"] == [0, 5, 10, 20] and layer["totalSteps"] == 4
    assert layer["stuckUnits"] == [0.0, 2.0, 2.0, 2.0]
    assert layer["saturatedLow"] == [0.0, 0.5, 0.5, 0.5]  # the wall times it checked are no longer sent
    units = client.get(ROOT + "/units?run=resumed&tag=hidden").get_json()
    assert units["steps"] == [0, 5, 10, 20] and units["stuckUnits"] == [0, 2, 2, 2]
    diagnosis = client.get(ROOT + "/diagnosis?run=resumed").get_json()
    assert [(f["layers"], f["step"]) for f in diagnosis["findings"]] == [(["hidden"], 5)]


def test_units_are_ordered_most_saturated_first(client):
    body = client.get(ROOT + "/units?run=run_b&tag=hidden").get_json()
    assert body == {
        "run": "run_b", "tag": "hidden", "units": 3, "scale": 255,
        "order": [0, 2, 1],
        "unitStarts": [0, 1, 2],
        "steps": [0, 10, 20],
        "stepEnds": [0, 10, 20],
        "stuckUnits": [0, 0, 1],
        "values": [[0, 0, 0], [128, 128, 0], [255, 128, 128]],
    }


def test_units_grouping_takes_the_maximum(client):
    body = client.get(ROOT + "/units?run=run_b&tag=hidden&maxUnits=2&maxSteps=1").get_json()
    assert body["unitStarts"] == [0, 1] and body["steps"] == [0]
    assert body["values"] == [[255, 128]]


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/overview", 400, "missing query parameter 'run'"),
        ("/overview?run=", 400, "query parameter 'run' must be 1 to 4096 characters; got 0"),
        ("/overview?run=run_b&maxSteps=x", 400, "'maxSteps' must be an integer in [1, 10000]; got 'x'"),
        ("/overview?run=run_b&maxSteps=0", 400, "'maxSteps' must be an integer in [1, 10000]; got 0"),
        ("/layer?run=run_b", 400, "missing query parameter 'tag'"),
        ("/units?run=run_b&tag=hidden&maxUnits=99999", 400, "'maxUnits' must be an integer in [1, 8192]; got 99999"),
        ("/overview?run=nope", 404, "no saturation data for run 'nope'"),
        ("/layer?run=run_b&tag=nope", 404, "no saturation data for tag 'nope' of run 'run_b'"),
        ("/units?run=nope&tag=hidden", 404, "no saturation data for run 'nope'"),
    ],
)
def test_bad_requests_get_400_or_404_with_the_reason(client, path, status, message):
    response = client.get(ROOT + path)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_static_serves_allowlisted_files_with_fixed_content_type(client):
    import os

    from tensorboard_plugin_saturation import plugin as plugin_lib

    response = client.get(ROOT + "/static/index.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    with open(os.path.join(plugin_lib._STATIC_DIR, "index.js"), "rb") as f:
        assert response.data == f.read()


@pytest.mark.parametrize(
    "path",
    ["/static/../plugin.py", "/static/%2e%2e/plugin.py", "/static/..%2fplugin.py", "/static/..\\plugin.py",
     "/static/%2e%2e%5cplugin.py", "/static//etc/passwd", "/static/http_api.md", "/static/", "/static/nope.js",
     "/static/C:\\Windows\\win.ini"],
)
def test_static_rejects_anything_outside_the_allowlist(client, path):
    assert client.get(ROOT + path).status_code == 404



@pytest.mark.parametrize("route", ["/runs", "/overview?run=run_b", "/diagnosis?run=run_b", "/static/index.js"])
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_get_405_with_allow(client, route, method):
    response = getattr(client, method)(ROOT + route)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path, status",
    [
        ("/overview?run=" + "r" * 5000, 400),
        ("/layer?run=run_b&tag=" + "t" * 5000, 400),
        ("/overview?run=run_b&maxSteps=" + "9" * 400, 400),
        ("/overview?run=run_b&maxSteps=-1", 400),
        ("/overview?run=run_b&maxSteps=1.5", 400),
        ("/units?run=run_b&tag=hidden&maxUnits=0x10", 400),
        ("/overview?run=%00%FF", 404),
        ("/layer?run=run_b&tag=%3Cscript%3E", 404),
        ("/diagnosis", 400),
        ("/diagnosis?run=nope", 404),
    ],
)
def test_oversized_malformed_and_unknown_parameters_never_give_500(client, path, status):
    assert client.get(ROOT + path).status_code == status


def test_layer_gives_the_callback_signals_per_step_and_null_where_missing(tmp_path):
    events = []
    for step, row in [(0, [0.9, 3.0, 1.0, 0.0625, float("nan"), 0.001]), (10, None), (20, [1.1, 4.0, 0.9, 0.0625, 0.05, 0.0005])]:
        pb = summary.saturation_pb("hidden", np.float32(SIGMOID[step]))
        if row is not None:
            pb.value.append(signals_value("hidden", row))
        events.append((step, pb))
    write_events(str(tmp_path), "run", events)
    client, _ = make_client(str(tmp_path))
    body = client.get(ROOT + "/layer?run=run&tag=hidden").get_json()
    assert body["steps"] == [0, 10, 20]
    assert body["signals"] == {
        "inputStd": [0.9, None, 1.1],
        "inputMaxAbs": [3.0, None, 4.0],
        "kernelStd": [1.0, None, 0.9],
        "glorotStd": [0.0625, None, 0.0625],
        "updateRatio": [None, None, 0.05],
        "learningRate": [0.001, None, 0.0005],
    }
