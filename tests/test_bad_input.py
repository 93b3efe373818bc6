"""Bad input to the summary API: the same clear error on every path, or a documented warning."""

import logging

import numpy as np
import pytest

from tensorboard_plugin_saturation import summary

tf = pytest.importorskip("tensorflow")

CASES = [
    # (data, kwargs, error, message)
    (np.float32(0.5), {}, ValueError, r"rank >= 1 \[\.\.\., units\]; got shape \(\)"),
    (np.zeros((4, 0), np.float32), {}, ValueError, r"at least one unit on its last axis; got shape \(4, 0\)"),
    (np.array([["a", "b"]]), {}, TypeError, r"real numbers \(a float or integer array\); got dtype"),
    (np.array([[True, False]]), {}, TypeError, r"real numbers \(a float or integer array\); got dtype bool"),
    (np.array([[1 + 2j]]), {}, TypeError, r"real numbers \(a float or integer array\); got dtype complex"),
    (np.ones((2, 2)), {"activation": "gelu"}, ValueError, r"activation must be one of 'sigmoid', 'tanh', 'relu', 'hard_sigmoid', 'relu6', 'softsign', 'elu', 'selu', 'hard_tanh', 'relu\(max_value=V\)', 'elu\(alpha=V\)', 'hard_sigmoid\(slope=V\)'; got 'gelu'"),
    (np.ones((2, 2)), {"activation": 3}, TypeError, r"activation must be a string, one of .*; got 3 of type int"),
    (np.ones((2, 2)), {"eps": 0.0}, ValueError, r"eps must be in \(0, 0.5\); got 0.0"),
    (np.ones((2, 2)), {"eps": None}, TypeError, r"eps must be a float in \(0, 0.5\); got None of type NoneType"),
    (np.ones((2, 2)), {"layer_index": 1.5}, TypeError, r"layer_index must be an int or None; got 1.5 of type float"),
]


@pytest.fixture
def writer(tmp_path):
    """A TF summary writer into the test's own directory."""
    return tf.summary.create_file_writer(str(tmp_path))


def write_tf(writer, data, **kwargs):
    with writer.as_default():
        return summary.saturation("layer", data, step=0, **kwargs)


@pytest.mark.parametrize("data, kwargs, error, message", CASES)
def test_pb_path(data, kwargs, error, message):
    with pytest.raises(error, match=message):
        summary.saturation_pb("layer", data, **kwargs)


@pytest.mark.parametrize("data, kwargs, error, message", CASES)
def test_tf_path_with_numpy_input(writer, data, kwargs, error, message):
    with pytest.raises(error, match=message):
        write_tf(writer, data, **kwargs)


@pytest.mark.parametrize("data, kwargs, error, message", [c for c in CASES if c[0].dtype.kind in "fiu"])
def test_tf_path_with_tensor_input(writer, data, kwargs, error, message):
    with pytest.raises(error, match=message):
        write_tf(writer, tf.constant(data), **kwargs)


def test_tf_path_rejects_an_unknown_last_axis_inside_tf_function(writer):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
    def log(x):
        return write_tf(writer, x)

    with pytest.raises(ValueError, match=r"known last axis \(units\); got shape \(None, None\)"):
        log.get_concrete_function()


def test_tf_path_rejects_an_unknown_rank_inside_tf_function(writer):
    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def log(x):
        return write_tf(writer, x)

    with pytest.raises(ValueError, match=r"known rank >= 1 \[\.\.\., units\]; got an unknown shape"):
        log.get_concrete_function()


def test_step_none_without_a_default_step_is_a_value_error(writer):
    with writer.as_default(), pytest.raises(ValueError, match="step"):
        summary.saturation("layer", np.ones((2, 2), np.float32) * 0.5)


def test_no_default_writer_returns_false():
    assert bool(summary.saturation("layer", np.ones((2, 2), np.float32) * 0.5, step=0)) is False


@pytest.mark.parametrize("path", ["pb", "tf"])
def test_pre_activations_give_one_documented_warning_per_tag(path, writer, caplog):
    pre_activations = np.array([[-3.0, 0.2], [2.5, 0.7]], np.float32)
    tag = "pre_activations_" + path
    with caplog.at_level(logging.WARNING, logger="tensorboard_plugin_saturation.summary"):
        for _ in range(3):
            if path == "pb":
                summary.saturation_pb(tag, pre_activations)
            else:
                with writer.as_default():
                    summary.saturation(tag, pre_activations, step=0)
    messages = [r.getMessage() for r in caplog.records if tag in r.getMessage()]
    assert messages == [
        "saturation data for %r: 50.0%% of the values are outside the sigmoid range [0, 1]; "
        "pass activations (outputs of the nonlinearity), not pre-activations" % tag
    ]


@pytest.mark.parametrize("data", [np.zeros((0, 3), np.float32), np.full((2, 3), np.nan, np.float32)])
def test_empty_batches_and_all_nan_are_logged_not_rejected(writer, data):
    pb = summary.saturation_pb("layer", data)
    assert [v.tag for v in pb.value] == ["layer", "layer/units"]
    assert write_tf(writer, data)
