"""`_recurrent.recompute`: gates equal to a plain numpy re-implementation of Keras' cells, output equal to the layer's."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tensorboard_plugin_saturation import _recurrent  # noqa: E402


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_lstm(x, kernel, recurrent, bias, h0=None, c0=None):
    """Gates of an LSTM (Hochreiter & Schmidhuber, with forget gate) step by step, in float64."""
    batch, time, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((batch, units)) if h0 is None else h0.astype(np.float64)
    c = np.zeros((batch, units)) if c0 is None else c0.astype(np.float64)
    gates = {name: [] for name in ("input", "forget", "output", "candidate", "cell")}
    outputs = []
    for t in range(time):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i = sigmoid(z[:, :units])
        f = sigmoid(z[:, units:2 * units])
        g = np.tanh(z[:, 2 * units:3 * units])
        o = sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(gates, (i, f, o, g, np.tanh(c))):
            gates[name].append(value)
        outputs.append(h)
    return {k: np.stack(v, 1) for k, v in gates.items()}, np.stack(outputs, 1)


def numpy_gru(x, kernel, recurrent, bias, reset_after):
    batch, time, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((batch, units))
    gates = {name: [] for name in ("update", "reset", "candidate")}
    outputs = []
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * units))
    for t in range(time):
        xz = x[:, t] @ kernel + input_bias
        hz = h @ recurrent + recurrent_bias
        z = sigmoid(xz[:, :units] + hz[:, :units])
        r = sigmoid(xz[:, units:2 * units] + hz[:, units:2 * units])
        if reset_after:
            candidate = np.tanh(xz[:, 2 * units:] + r * hz[:, 2 * units:])
        else:
            candidate = np.tanh(xz[:, 2 * units:] + (r * h) @ recurrent[:, 2 * units:])
        h = z * h + (1 - z) * candidate
        for name, value in zip(gates, (z, r, candidate)):
            gates[name].append(value)
        outputs.append(h)
    return {k: np.stack(v, 1) for k, v in gates.items()}, np.stack(outputs, 1)


def numpy_simple_rnn(x, kernel, recurrent, bias):
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + bias + h @ recurrent)
        outputs.append(h)
    outputs = np.stack(outputs, 1)
    return {"state": outputs}, outputs


def sequences(batch=3, time=6, features=4, seed=0):
    return np.random.default_rng(seed).normal(0.0, 1.5, (batch, time, features)).astype(np.float32)


def numpy(value):
    return keras.ops.convert_to_numpy(value)


def weights(layer):
    return [numpy(w).astype(np.float64) for w in (layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias)]


def recompute(layer, x, **kwargs):
    result = _recurrent.recompute(layer, keras.ops.convert_to_tensor(x), **kwargs)
    return ({k: numpy(v) for k, v in result.gates.items()}, numpy(result.outputs),
            None if result.mask is None else numpy(result.mask))


def assert_gates_equal(got, want):
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], atol=1e-5, rtol=0, err_msg=name)


def assert_recompute_equals_numpy(layer, x, numpy_layer, *options):
    """The recomputed gates and outputs equal `numpy_layer`'s, the outputs the layer's own; returns (gates, mask)."""
    own = numpy(layer(x))
    gates, outputs, mask = recompute(layer, x)
    want_gates, want_outputs = numpy_layer(x.astype(np.float64), *weights(layer), *options)
    assert_gates_equal(gates, want_gates)
    np.testing.assert_allclose(outputs, want_outputs, atol=1e-5, rtol=0)
    np.testing.assert_allclose(outputs, own, atol=1e-5, rtol=0)
    return gates, mask


def test_lstm_gates_equal_numpy_and_output_equals_the_layers_own():
    keras.utils.set_random_seed(1)
    layer = keras.layers.LSTM(5, return_sequences=True, bias_initializer="random_normal")
    x = sequences()
    gates, mask = assert_recompute_equals_numpy(layer, x, numpy_lstm)
    assert mask is None
    assert gates["input"].shape == (3, 6, 5)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_gates_equal_numpy_for_both_reset_after_settings(reset_after):
    keras.utils.set_random_seed(2)
    layer = keras.layers.GRU(4, return_sequences=True, reset_after=reset_after,
                             bias_initializer="random_normal")
    assert_recompute_equals_numpy(layer, sequences(), numpy_gru, reset_after)


def test_simple_rnn_state_equals_numpy_and_the_layers_output():
    keras.utils.set_random_seed(3)
    layer = keras.layers.SimpleRNN(3, return_sequences=True, bias_initializer="random_normal")
    x = sequences()
    own = numpy(layer(x))
    gates, outputs, _ = recompute(layer, x)
    want_gates, _ = numpy_simple_rnn(x.astype(np.float64), *weights(layer))
    assert_gates_equal(gates, want_gates)
    np.testing.assert_allclose(outputs, own, atol=1e-5, rtol=0)


def test_go_backwards_processes_the_reversed_sequence():
    keras.utils.set_random_seed(4)
    layer = keras.layers.LSTM(3, return_sequences=True, go_backwards=True)
    x = sequences()
    own = numpy(layer(x))
    gates, outputs, _ = recompute(layer, x)
    want_gates, _ = numpy_lstm(x[:, ::-1].astype(np.float64), *weights(layer))
    assert_gates_equal(gates, want_gates)
    np.testing.assert_allclose(outputs, own, atol=1e-5, rtol=0)


def test_initial_state_is_used():
    keras.utils.set_random_seed(5)
    layer = keras.layers.LSTM(3, return_sequences=True)
    x = sequences()
    h0 = np.full((3, 3), 0.5, np.float32)
    c0 = np.full((3, 3), -0.25, np.float32)
    own = numpy(layer(x, initial_state=[h0, c0]))
    gates, outputs, _ = recompute(layer, x, initial_state=[h0, c0])
    want_gates, _ = numpy_lstm(x.astype(np.float64), *weights(layer), h0=h0, c0=c0)
    assert_gates_equal(gates, want_gates)
    np.testing.assert_allclose(outputs, own, atol=1e-5, rtol=0)


def test_masked_steps_keep_the_state_and_are_reported():
    keras.utils.set_random_seed(6)
    layer = keras.layers.GRU(3, return_sequences=True)
    x = sequences(batch=2, time=4)
    mask = np.array([[True, True, True, False], [True, True, False, False]])
    own = numpy(layer(x, mask=mask))
    gates, outputs, got_mask = recompute(layer, x, mask=mask)
    np.testing.assert_array_equal(got_mask, mask)
    np.testing.assert_allclose(outputs[mask], own[mask], atol=1e-5, rtol=0)
    # Unmasked steps of the second sequence equal a run on its first two steps alone.
    want_gates, _ = numpy_gru(x[1:, :2].astype(np.float64), *weights(layer), True)
    for name in want_gates:
        np.testing.assert_allclose(gates[name][1, :2], want_gates[name][0], atol=1e-5, rtol=0)


def test_gate_kernel_is_the_keras_kernel_block():
    layer = keras.layers.LSTM(2)
    layer.build((None, 3, 4))
    kernel = numpy(layer.cell.kernel)
    np.testing.assert_array_equal(numpy(_recurrent.gate_kernel(layer, "forget")), kernel[:, 2:4])
    np.testing.assert_array_equal(numpy(_recurrent.gate_kernel(layer, "output")), kernel[:, 6:8])
    assert _recurrent.gate_kernel(layer, "cell") is None
    assert _recurrent.kernel_shape(layer) == (4, 8)


def test_other_layers_are_refused_with_a_clear_error():
    assert _recurrent.cell_kind(keras.layers.Dense(2)) is None
    with pytest.raises(ValueError, match="LSTM, GRU and SimpleRNN cells; got Dense"):
        _recurrent.recompute(keras.layers.Dense(2), np.zeros((1, 2, 2), np.float32))
