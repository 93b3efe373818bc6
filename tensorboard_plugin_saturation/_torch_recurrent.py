"""The gates of `nn.LSTM`, `nn.GRU` and `nn.RNN`, recomputed from the module's weights.

PyTorch runs the recurrence in one fused kernel and returns only the hidden
states, so the gate activations are recomputed here from the module's input
(and initial state) with PyTorch's own equations (see the `nn.LSTM` and
`nn.GRU` docs), every layer and direction, in the module's dtype on its
device. `tests/test_torch_recurrent.py` checks them against a numpy
re-implementation and the recomputed hidden states against the module's output.

LSTM, weights [W_i | W_f | W_g | W_o]:
    i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     gate "input"
    f = sigmoid(W_if x + b_if + W_hf h + b_hf)     gate "forget"
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)        gate "candidate"
    o = sigmoid(W_io x + b_io + W_ho h + b_ho)     gate "output"
    c' = f * c + i * g;  tanh(c')                  gate "cell"
    h' = o * tanh(c')  (then W_hr h' with proj_size)
GRU, weights [W_r | W_z | W_n]:
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     gate "reset"
    z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)     gate "update"
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  gate "candidate"
    h' = (1 - z) * n + z * h
RNN (nonlinearity tanh or relu), weights [W]:
    h' = tanh(W_ih x + b_ih + W_hh h + b_hh)       gate "state" (as Keras' SimpleRNN)
"""

import collections

import torch
from torch import nn

# (gate, activation, row block of weight_ih / weight_hh or None)
LSTM_GATES = (
    ("input", "sigmoid", 0),
    ("forget", "sigmoid", 1),
    ("output", "sigmoid", 3),
    ("candidate", "tanh", 2),
    ("cell", "tanh", None),
)
GRU_GATES = (
    ("update", "sigmoid", 1),
    ("reset", "sigmoid", 0),
    ("candidate", "tanh", 2),
)

# nn.RNN: its one "gate" is the new hidden state, with the module's nonlinearity
RNN_GATE = "state"

Cell = collections.namedtuple("Cell", ["layer", "direction", "suffix"])
Cell.__doc__ = """One (layer, direction) of a recurrent module; `suffix` names its weights ("l0", "l1_reverse")."""


def is_recurrent(module):
    return isinstance(module, (nn.LSTM, nn.GRU, nn.RNN))


def gates_of(module):
    """The (gate, activation name, weight row block) triples of an LSTM, GRU or RNN."""
    if isinstance(module, nn.LSTM):
        return LSTM_GATES
    if isinstance(module, nn.GRU):
        return GRU_GATES
    return ((RNN_GATE, module.nonlinearity, 0),)


def cells(module):
    """Every (layer, direction) of `module`, in PyTorch's weight order."""
    directions = 2 if module.bidirectional else 1
    return [
        Cell(layer, d, "l%d%s" % (layer, "_reverse" if d else ""))
        for layer in range(module.num_layers)
        for d in range(directions)
    ]


def gate_weight(module, cell, block):
    """The rows of `weight_ih` that feed gate `block` of `cell` (the gate's kernel), or None."""
    if block is None:
        return None
    weight = getattr(module, "weight_ih_" + cell.suffix)
    hidden = module.hidden_size
    return weight[block * hidden:(block + 1) * hidden]


def recompute(module, inputs, hx=None):
    """Recomputes the gates of `module` on `inputs`.

    Args:
      module: An `nn.LSTM`, `nn.GRU` or `nn.RNN`.
      inputs: Its input tensor ([T, B, F], [B, T, F] with batch_first, or
        unbatched [T, F]); a PackedSequence is not supported.
      hx: The initial state passed to the module (LSTM: (h0, c0)), or None.

    Returns:
      (gates, output, layer_inputs): gates is {Cell: {gate: tensor [T, B, H]}},
      in time order for both directions; layer_inputs is {layer: its input
      [T, B, F]} (layer 0: `inputs`; then the previous layer's hidden states);
      output is the
      last layer's hidden states in the module's output layout, for checking.

    Raises:
      TypeError: `inputs` is a PackedSequence.
    """
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(
            "recurrent gates need a padded input tensor; got %s (PackedSequence inputs "
            "are not supported)" % type(inputs).__name__
        )
    lstm = isinstance(module, nn.LSTM)
    unbatched = inputs.dim() == 2
    x = inputs.unsqueeze(1) if unbatched else (inputs.transpose(0, 1) if module.batch_first else inputs)
    steps, batch = x.shape[0], x.shape[1]
    directions = 2 if module.bidirectional else 1
    out_size = module.proj_size if lstm and module.proj_size > 0 else module.hidden_size
    h0, c0 = _initial_state(module, hx, lstm, unbatched, batch, out_size, x)
    gates = {}
    layer_inputs = {}
    layer_input = x
    for layer in range(module.num_layers):
        layer_inputs[layer] = layer_input
        outputs = []
        for d in range(directions):
            cell = Cell(layer, d, "l%d%s" % (layer, "_reverse" if d else ""))
            index = layer * directions + d
            state = (h0[index], c0[index] if lstm else None)
            order = range(steps - 1, -1, -1) if d else range(steps)
            run = _lstm_cell if lstm else _gru_cell if isinstance(module, nn.GRU) else _rnn_cell
            per_step, hs = run(module, cell, layer_input, order, state)
            gates[cell] = {name: torch.stack(values) for name, values in per_step.items()}
            outputs.append(torch.stack(hs))
        layer_input = torch.cat(outputs, dim=-1)
    output = layer_input.squeeze(1) if unbatched else (layer_input.transpose(0, 1) if module.batch_first else layer_input)
    return gates, output, layer_inputs


def _initial_state(module, hx, lstm, unbatched, batch, out_size, x):
    layers = module.num_layers * (2 if module.bidirectional else 1)
    if hx is None:
        h0 = x.new_zeros(layers, batch, out_size)
        c0 = x.new_zeros(layers, batch, module.hidden_size) if lstm else None
        return h0, c0
    h0, c0 = hx if lstm else (hx, None)
    if unbatched:
        h0 = h0.unsqueeze(1)
        c0 = None if c0 is None else c0.unsqueeze(1)
    return h0, c0


def _weights(module, cell):
    w_ih = getattr(module, "weight_ih_" + cell.suffix)
    w_hh = getattr(module, "weight_hh_" + cell.suffix)
    b_ih = getattr(module, "bias_ih_" + cell.suffix) if module.bias else None
    b_hh = getattr(module, "bias_hh_" + cell.suffix) if module.bias else None
    return w_ih, w_hh, b_ih, b_hh


def _lstm_cell(module, cell, x, order, state):
    w_ih, w_hh, b_ih, b_hh = _weights(module, cell)
    w_hr = getattr(module, "weight_hr_" + cell.suffix) if module.proj_size > 0 else None
    projected_input = nn.functional.linear(x, w_ih, b_ih)  # [T, B, 4H], all steps at once
    h, c = state
    per_step = {name: [None] * x.shape[0] for name, _, _ in LSTM_GATES}
    hs = [None] * x.shape[0]
    for t in order:
        z = projected_input[t] + nn.functional.linear(h, w_hh, b_hh)
        zi, zf, zg, zo = z.chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
        c = f * c + i * g
        tanh_c = torch.tanh(c)
        h = o * tanh_c
        if w_hr is not None:
            h = nn.functional.linear(h, w_hr)
        for name, value in (("input", i), ("forget", f), ("output", o), ("candidate", g), ("cell", tanh_c)):
            per_step[name][t] = value
        hs[t] = h
    return per_step, hs


def _gru_cell(module, cell, x, order, state):
    w_ih, w_hh, b_ih, b_hh = _weights(module, cell)
    projected_input = nn.functional.linear(x, w_ih, b_ih)  # [T, B, 3H]
    h, _ = state
    per_step = {name: [None] * x.shape[0] for name, _, _ in GRU_GATES}
    hs = [None] * x.shape[0]
    for t in order:
        xr, xz, xn = projected_input[t].chunk(3, dim=-1)
        hr, hz, hn = nn.functional.linear(h, w_hh, b_hh).chunk(3, dim=-1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        for name, value in (("update", z), ("reset", r), ("candidate", n)):
            per_step[name][t] = value
        hs[t] = h
    return per_step, hs


def _rnn_cell(module, cell, x, order, state):
    w_ih, w_hh, b_ih, b_hh = _weights(module, cell)
    activation = torch.tanh if module.nonlinearity == "tanh" else torch.relu
    projected_input = nn.functional.linear(x, w_ih, b_ih)  # [T, B, H]
    h, _ = state
    states = [None] * x.shape[0]
    for t in order:
        h = activation(projected_input[t] + nn.functional.linear(h, w_hh, b_hh))
        states[t] = h
    return {RNN_GATE: states}, states
