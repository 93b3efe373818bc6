"""saturation_pb: the framework-free path (numpy + protobuf, no TensorFlow)."""

import subprocess
import sys

import numpy as np
import pytest
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import activations, metadata, numpy_statistics, summary


def test_pb_holds_layer_and_units_values():
    data = np.array([[0.005, 0.5, 0.995], [0.5, 0.5, 0.999]], np.float32)
    pb = summary.saturation_pb("dense_1", data, "desc", activation="sigmoid", layer_index=2)
    assert [v.tag for v in pb.value] == ["dense_1", "dense_1/units"]
    layer, units = pb.value
    expected = numpy_statistics.compute(data)
    np.testing.assert_array_equal(tensor_util.make_ndarray(layer.tensor), expected.layer)
    np.testing.assert_array_equal(tensor_util.make_ndarray(units.tensor), [128, 0, 255])
    assert tensor_util.make_ndarray(units.tensor).dtype == np.uint8
    content = metadata.parse_plugin_metadata(layer.metadata.plugin_data.content)
    assert content["kind"] == "layer" and content["units"] == 3 and content["order"] == 2
    assert layer.metadata.summary_description == "desc"
    assert metadata.parse_plugin_metadata(units.metadata.plugin_data.content) == {
        "kind": "units", "layer": "dense_1", "units": 3, "scale": 255, "version": 1,
    }


@pytest.mark.parametrize("activation, logged", [
    ("hard_sigmoid", "hard_sigmoid"), ("relu(max_value=6)", "relu6"), ("relu(max_value=0.50)", "relu(max_value=0.5)"),
    ("softsign", "softsign"), ("elu", "elu"), ("selu", "selu"), ("hard_tanh", "hard_tanh"),
])
def test_pb_accepts_every_activation_and_logs_its_canonical_name(activation, logged):
    data = np.array([[0.0, 0.25], [0.5, 0.75]], np.float32)
    layer = summary.saturation_pb("d", data, activation=activation).value[0]
    content = metadata.parse_plugin_metadata(layer.metadata.plugin_data.content)
    assert content["activation"] == logged
    assert content["edges"] == list(activations.get(logged).edges)
    np.testing.assert_array_equal(tensor_util.make_ndarray(layer.tensor), numpy_statistics.compute(data, logged).layer)


def test_pb_of_a_4096_unit_layer_is_under_8_kb():
    data = np.random.default_rng(0).random((256, 4096), dtype=np.float32)
    assert summary.saturation_pb("wide", data).ByteSize() < 8 * 1024


def test_importing_and_calling_saturation_pb_does_not_import_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "import tensorboard_plugin_saturation as sat\n"
        "sat.summary.saturation_pb('d', np.ones((2, 2)) * 0.5)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"layer_index": -1}, ValueError, r"layer_index must be >= 0; got -1"),
        ({"layer_index": "1"}, TypeError, r"layer_index must be an int or None; got '1' of type str"),
        ({"activation": "softmax"}, ValueError, r"activation must be one of 'sigmoid', 'tanh', 'relu', 'hard_sigmoid', 'relu6', 'softsign', 'elu', 'selu', 'hard_tanh', 'relu\(max_value=V\)', 'elu\(alpha=V\)', 'hard_sigmoid\(slope=V\)'; got 'softmax'"),
    ],
)
def test_bad_options_are_rejected(kwargs, error, message):
    with pytest.raises(error, match=message):
        summary.saturation_pb("d", np.ones((2, 2)), **kwargs)
