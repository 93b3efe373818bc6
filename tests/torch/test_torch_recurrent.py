"""LSTM/GRU gates recomputed from the weights equal a numpy re-implementation of PyTorch's equations."""

import numpy as np
import pytest
import torch
from torch import nn

from tensorboard_plugin_saturation import _torch_recurrent


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _numpy_gates(module, x, h0, c0):
    """One direction of one layer: PyTorch's documented equations, step by step in float64."""
    weights = {name: p.detach().double().numpy() for name, p in module.named_parameters()}

    def run(suffix, inputs, h, c, reverse):
        w_ih, w_hh = weights["weight_ih_" + suffix], weights["weight_hh_" + suffix]
        b_ih, b_hh = weights.get("bias_ih_" + suffix, 0.0), weights.get("bias_hh_" + suffix, 0.0)
        hidden = module.hidden_size
        gates = {}
        outputs = [None] * len(inputs)
        for t in (reversed(range(len(inputs))) if reverse else range(len(inputs))):
            a = inputs[t] @ w_ih.T + b_ih
            b = h @ w_hh.T + b_hh
            if isinstance(module, nn.LSTM):
                i = _sigmoid(a[:, :hidden] + b[:, :hidden])
                f = _sigmoid(a[:, hidden:2 * hidden] + b[:, hidden:2 * hidden])
                g = np.tanh(a[:, 2 * hidden:3 * hidden] + b[:, 2 * hidden:3 * hidden])
                o = _sigmoid(a[:, 3 * hidden:] + b[:, 3 * hidden:])
                c = f * c + i * g
                h = o * np.tanh(c)
                if module.proj_size:
                    h = h @ weights["weight_hr_" + suffix].T
                step = {"input": i, "forget": f, "candidate": g, "output": o, "cell": np.tanh(c)}
            elif isinstance(module, nn.RNN):
                h = np.tanh(a + b) if module.nonlinearity == "tanh" else np.maximum(a + b, 0.0)
                step = {"state": h}
            else:
                r = _sigmoid(a[:, :hidden] + b[:, :hidden])
                z = _sigmoid(a[:, hidden:2 * hidden] + b[:, hidden:2 * hidden])
                n = np.tanh(a[:, 2 * hidden:] + r * b[:, 2 * hidden:])
                h = (1 - z) * n + z * h
                step = {"update": z, "reset": r, "candidate": n}
            for name, value in step.items():
                gates.setdefault(name, [None] * len(inputs))[t] = value
            outputs[t] = h
        return {k: np.stack(v) for k, v in gates.items()}, np.stack(outputs)

    result = {}
    layer_input = x
    directions = 2 if module.bidirectional else 1
    for layer in range(module.num_layers):
        outs = []
        for d in range(directions):
            suffix = "l%d%s" % (layer, "_reverse" if d else "")
            k = layer * directions + d
            gates, out = run(suffix, layer_input, h0[k], None if c0 is None else c0[k], d == 1)
            result[suffix] = gates
            outs.append(out)
        layer_input = np.concatenate(outs, axis=-1)
    return result, layer_input


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.LSTM(5, 4),
        lambda: nn.LSTM(5, 4, num_layers=2, bidirectional=True),
        lambda: nn.LSTM(5, 4, proj_size=3),
        lambda: nn.LSTM(5, 4, bias=False),
        lambda: nn.GRU(5, 4),
        lambda: nn.GRU(5, 4, num_layers=2, bidirectional=True),
        lambda: nn.RNN(5, 4, num_layers=2),
        lambda: nn.RNN(5, 4, nonlinearity="relu", bidirectional=True),
    ],
    ids=["lstm", "lstm-2-layers-bidirectional", "lstm-proj", "lstm-no-bias", "gru", "gru-2-layers-bidirectional",
         "rnn-tanh-2-layers", "rnn-relu-bidirectional"],
)
@pytest.mark.parametrize("with_state", [False, True])
def test_gates_equal_numpy_equations_and_output_equals_module(make, with_state):
    torch.manual_seed(0)
    module = make()
    x = torch.randn(7, 3, 5) * 2
    layers = module.num_layers * (2 if module.bidirectional else 1)
    out_size = module.proj_size or module.hidden_size
    h0 = torch.randn(layers, 3, out_size)
    c0 = torch.randn(layers, 3, module.hidden_size)
    lstm = isinstance(module, nn.LSTM)
    hx = ((h0, c0) if lstm else h0) if with_state else None
    with torch.no_grad():
        gates, output, layer_inputs = _torch_recurrent.recompute(module, x, hx)
        expected_output, _ = module(x, hx)
    torch.testing.assert_close(output, expected_output, rtol=1e-5, atol=1e-5)
    assert layer_inputs[0] is x and sorted(layer_inputs) == list(range(module.num_layers))
    if module.num_layers > 1:  # layer 1 reads layer 0's hidden states (both directions)
        assert layer_inputs[1].shape == (7, 3, (module.proj_size or module.hidden_size) * (2 if module.bidirectional else 1))
    zeros_h, zeros_c = np.zeros((layers, 3, out_size)), np.zeros((layers, 3, module.hidden_size))
    numpy_gates, _ = _numpy_gates(
        module, x.double().numpy(),
        h0.double().numpy() if with_state else zeros_h,
        (c0.double().numpy() if with_state else zeros_c) if lstm else None,
    )
    names = [g for g, _, _ in _torch_recurrent.gates_of(module)]
    assert {cell.suffix for cell in gates} == set(numpy_gates)
    for cell, per_gate in gates.items():
        assert sorted(per_gate) == sorted(names)
        for name, value in per_gate.items():
            assert value.shape == (7, 3, module.hidden_size)
            np.testing.assert_allclose(value.numpy(), numpy_gates[cell.suffix][name], atol=1e-5, rtol=0)


def test_batch_first_and_unbatched_inputs_give_the_same_gates():
    torch.manual_seed(1)
    module = nn.GRU(5, 4, batch_first=True)
    x = torch.randn(2, 6, 5)
    with torch.no_grad():
        batched, out, _ = _torch_recurrent.recompute(module, x)
        single, out_single, _ = _torch_recurrent.recompute(module, x[0])
        torch.testing.assert_close(out, module(x)[0], rtol=1e-5, atol=1e-5)
    cell = _torch_recurrent.cells(module)[0]
    torch.testing.assert_close(single[cell]["update"][:, 0], batched[cell]["update"][:, 0])
    torch.testing.assert_close(out_single, out[0])


def test_gate_weight_is_the_gates_rows_of_weight_ih():
    module = nn.LSTM(5, 4)
    cell = _torch_recurrent.cells(module)[0]
    rows = {name: _torch_recurrent.gate_weight(module, cell, block) for name, _, block in _torch_recurrent.LSTM_GATES}
    assert rows["cell"] is None
    torch.testing.assert_close(rows["forget"], module.weight_ih_l0[4:8])
    torch.testing.assert_close(rows["output"], module.weight_ih_l0[12:16])
    assert rows["forget"]._base is module.weight_ih_l0


def test_packed_sequence_is_refused_with_a_clear_error():
    module = nn.LSTM(5, 4)
    packed = nn.utils.rnn.pack_sequence([torch.randn(3, 5), torch.randn(2, 5)])
    with pytest.raises(TypeError, match="PackedSequence inputs are not supported"):
        _torch_recurrent.recompute(module, packed)
