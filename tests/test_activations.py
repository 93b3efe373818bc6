"""The activation records: one definition of every per-activation fact."""

import numpy as np
import pytest

from tensorboard_plugin_saturation import activations, numpy_statistics

NAMES = list(activations.ACTIVATIONS) + ["relu(max_value=0.7)", "elu(alpha=0.3)", "hard_sigmoid(slope=0.2)"]


def test_to_json_lists_every_supported_activation_plus_logged_parametrised_ones():
    facts = activations.to_json(["gelu", None, "relu", "relu(max_value=0.5)"])
    assert list(facts) == list(activations.ACTIVATIONS) + ["relu(max_value=0.5)"]
    assert facts["relu"] == {
        "low": 0.0, "high": None, "maxDerivative": 1.0, "saturates": "low", "rule": "exact",
        "saturatedLabel": "dead", "lowLabel": "zero", "highLabel": None, "stuckLabel": "dead",
        "description": "relu: off (dead) when y == 0; f'(x) = 1[y > 0]",
    }
    assert facts["relu(max_value=0.5)"] == {
        "low": 0.0, "high": 0.5, "maxDerivative": 1.0, "saturates": "both", "rule": "exact",
        "saturatedLabel": "saturated", "lowLabel": "zero", "highLabel": "at 0.5", "stuckLabel": "stuck",
        "description": "relu(max_value=0.5): saturated when y == 0 (off) or y == 0.5 (clipped); "
        "f'(x) = 1[0 < y < 0.5]",
    }
    assert facts["selu"]["low"] == -1.7580993408473768 and facts["selu"]["high"] is None
    assert facts["selu"]["maxDerivative"] == 1.0507009873554805 * 1.6732632423543772
    assert facts["hard_sigmoid"]["maxDerivative"] == 1 / 6


def test_is_supported():
    assert activations.is_supported("tanh") and activations.is_supported("elu(alpha=0.5)")
    assert not activations.is_supported("gelu") and not activations.is_supported(3)


@pytest.mark.parametrize("name, canonical", [
    ("relu(max_value=6)", "relu6"),
    ("relu(max_value=6.0)", "relu6"),
    ("relu(max_value=0.50)", "relu(max_value=0.5)"),
    ("relu(max_value=1e3)", "relu(max_value=1000.0)"),
    ("elu(alpha=1)", "elu"),
    ("elu(alpha=.3)", "elu(alpha=0.3)"),
    ("hard_sigmoid(slope=0.2)", "hard_sigmoid(slope=0.2)"),
    ("hard_sigmoid(slope=0.16666666666666666)", "hard_sigmoid"),
])
def test_parametrised_names_resolve_to_one_canonical_record(name, canonical):
    assert activations.get(name).name == canonical
    assert activations.get(name) is activations.get(canonical)


@pytest.mark.parametrize("family, value, name", [
    ("relu", 6, "relu6"), ("relu", 0.5, "relu(max_value=0.5)"), ("elu", 1.0, "elu"),
    ("elu", np.float32(0.5), "elu(alpha=0.5)"), ("hard_sigmoid", 0.2, "hard_sigmoid(slope=0.2)"),
    ("hard_sigmoid", 1 / 6, "hard_sigmoid"),
])
def test_parametrised_builds_the_canonical_name(family, value, name):
    assert activations.parametrised(family, value) == name


@pytest.mark.parametrize("family, value, message", [
    ("relu", 0.0, r"max_value of relu must be a finite number > 5.96046e-08; got 0.0"),
    ("relu", float("inf"), r"max_value of relu must be a finite number > 5.96046e-08; got inf"),
    ("elu", -1, r"alpha of elu must be a finite number > 0; got -1"),
    ("elu", True, r"alpha of elu must be a finite number > 0; got True"),
    ("hard_sigmoid", "x", r"slope of hard_sigmoid must be a finite number > 0; got 'x'"),
    ("gelu", 1.0, r"family must be one of \['elu', 'hard_sigmoid', 'relu'\]; got 'gelu'"),
])
def test_parametrised_rejects_bad_values(family, value, message):
    with pytest.raises(ValueError, match=message):
        activations.parametrised(family, value)


@pytest.mark.parametrize("name", ["relu(max_value=0)", "relu(max_value=-1)", "relu(alpha=1)", "elu(alpha=x)",
                                  "softsign(slope=1)", "relu(max_value=nan)", "relu6(max_value=1)"])
def test_malformed_parametrised_names_are_unsupported(name):
    with pytest.raises(ValueError, match=r"activation must be one of .*'relu\(max_value=V\)'.*; got"):
        activations.get(name)


def test_relu_like_layers_are_judged_by_stuck_units():
    judged = [n for n in NAMES if activations.get(n).judged_by_stuck_units]
    assert judged == ["relu", "relu6", "relu(max_value=0.7)"]


@pytest.mark.parametrize("name", NAMES)
def test_edges_increase_and_the_derivative_reaches_its_maximum(name):
    act = activations.get(name)
    assert all(a < b for a, b in zip(act.edges, act.edges[1:]))
    high = act.high if np.isfinite(act.high) else 1e6
    y = np.concatenate([np.linspace(act.low, high, 10001), [0.0, -1e-12, 1e-12]])
    y = np.clip(y, act.low, act.high)
    derivative = act.derivative(y, act.low, act.high, activations.NUMPY_OPS)
    assert derivative.min() >= 0 and derivative.max() == pytest.approx(act.max_derivative, rel=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if activations.get(n).rule == activations.EXACT])
def test_exact_rule_derivative_vanishes_exactly_where_values_saturate(name):
    """For piecewise linear units: mean f' = max f' x (1 - saturated share)."""
    act = activations.get(name)
    rng = np.random.default_rng(1)
    high = act.high if np.isfinite(act.high) else 8.0
    data = np.clip(rng.uniform(act.low - 2, high + 1, (500, 4)), act.low, high).astype(np.float32)
    layer = numpy_statistics.compute(data, name).layer
    share = numpy_statistics.field(layer, "saturatedLow") + numpy_statistics.field(layer, "saturatedHigh")
    assert 0.1 < share < 0.9
    assert numpy_statistics.field(layer, "meanDerivative") == pytest.approx(act.max_derivative * (1 - share), rel=1e-12)


def _keras_cases():
    keras = pytest.importorskip("keras")
    import functools

    return [
        (keras.activations.sigmoid, "sigmoid"), (keras.activations.tanh, "tanh"), (keras.activations.relu, "relu"),
        (keras.activations.hard_sigmoid, "hard_sigmoid"), (keras.ops.hard_sigmoid, "hard_sigmoid"),
        (keras.activations.relu6, "relu6"), (keras.activations.softsign, "softsign"),
        (keras.activations.elu, "elu"), (keras.activations.selu, "selu"), (keras.activations.hard_tanh, "hard_tanh"),
        (keras.activations.gelu, None), (keras.activations.silu, None), (keras.activations.softmax, None),
        (keras.activations.leaky_relu, None), (keras.activations.linear, None), (keras.activations.hard_silu, None),
        (keras.layers.ReLU(), "relu"), (keras.layers.ReLU(max_value=6.0), "relu6"),
        (keras.layers.ReLU(max_value=0.5), "relu(max_value=0.5)"), (keras.layers.ReLU(negative_slope=0.1), None),
        (keras.layers.ReLU(threshold=1.0), None), (keras.layers.ReLU(max_value=6.0, negative_slope=0.1), None),
        (keras.layers.ELU(), "elu"), (keras.layers.ELU(alpha=0.5), "elu(alpha=0.5)"),
        (keras.layers.Activation("selu"), "selu"), (keras.layers.Activation("hard_sigmoid"), "hard_sigmoid"),
        (keras.layers.Activation("gelu"), None), (keras.layers.LeakyReLU(), None), (keras.layers.Softmax(), None),
        (keras.layers.Dense(2, activation="relu"), None),  # the caller passes layer.activation
        (functools.partial(keras.activations.relu, max_value=6.0), "relu6"),
        (functools.partial(keras.activations.relu, max_value=1.0, negative_slope=0.2), None),
        (functools.partial(keras.activations.elu, alpha=0.3), "elu(alpha=0.3)"),
        (lambda x: x, None), (max, None), ("relu", None),
    ]


def test_keras_name_maps_keras_3_functions_and_layers_to_records():
    for activation, expected in _keras_cases():
        assert activations.keras_name(activation) == expected, activation


def test_keras_name_maps_tf_keras_whose_hard_sigmoid_has_slope_0_2():
    tf_keras = pytest.importorskip("tf_keras")
    assert activations.keras_name(tf_keras.activations.hard_sigmoid) == "hard_sigmoid(slope=0.2)"
    assert activations.keras_name(tf_keras.backend.hard_sigmoid) == "hard_sigmoid(slope=0.2)"
    assert activations.keras_name(tf_keras.layers.Activation("hard_sigmoid")) == "hard_sigmoid(slope=0.2)"
    assert activations.keras_name(tf_keras.activations.elu) == "elu"
    assert activations.keras_name(tf_keras.layers.ReLU(max_value=6.0)) == "relu6"
    assert activations.keras_name(tf_keras.layers.ReLU(negative_slope=0.3)) is None
    assert activations.keras_name(tf_keras.layers.ELU(alpha=2.0)) == "elu(alpha=2.0)"


def test_keras_name_maps_tf_and_jax_functions():
    tf = pytest.importorskip("tensorflow")
    jax = pytest.importorskip("jax")
    assert [activations.keras_name(f) for f in (tf.nn.relu6, tf.nn.selu, tf.math.softsign, tf.tanh)] == [
        "relu6", "selu", "softsign", "tanh"]
    assert [activations.keras_name(f) for f in (jax.nn.soft_sign, jax.nn.hard_sigmoid, jax.nn.hard_tanh)] == [
        "softsign", "hard_sigmoid", "hard_tanh"]


@pytest.mark.parametrize("name", ["hard_sigmoid", "hard_tanh", "relu6", "softsign", "elu", "selu"])
def test_each_keras_3_function_computes_what_its_record_describes(name):
    """The Keras function's outputs, read back through the record, give the derivative of the function."""
    keras = pytest.importorskip("keras")
    x = np.linspace(-8, 8, 4001)
    y = np.asarray(keras.ops.convert_to_numpy(getattr(keras.activations, name)(x.astype(np.float32))), np.float64)
    act = activations.get(name)
    assert y.min() >= np.float32(act.low) and y.max() <= act.high
    derivative = act.derivative(np.clip(y, act.low, act.high), *act.bounds(np.float32), activations.NUMPY_OPS)
    numeric = np.gradient(y, x)
    smooth = (np.abs(np.gradient(numeric, x)) < 0.5) & (np.abs(x) > 0.01)  # away from kinks (softsign's f'' at 0)
    np.testing.assert_allclose(derivative[smooth][1:-1], numeric[smooth][1:-1], atol=2e-3)
