"""The gates of Keras recurrent layers, recomputed from their weights.

A recurrent layer returns only its hidden state, never its gates. `recompute`
runs the layer's cell again over a captured input sequence, with the layer's
own weights and activation functions and the arithmetic of Keras' cells
(`LSTMCell`, `GRUCell` with either `reset_after`, `SimpleRNNCell`, in
inference mode: no dropout), and returns every gate at every time step. It
uses `keras.ops` only, so it runs inside the probe's compiled function on any
Keras backend. The input projection of all time steps is one matmul; the
recurrence is a `keras.ops.scan` over time.

Gates (the tag suffixes of their series):

- LSTM: `input`, `forget`, `output` (recurrent activation, sigmoid by
  default), `candidate` (activation of the candidate, tanh by default) and
  `cell` (activation of the new cell state, the factor of the output).
- GRU: `update`, `reset` (recurrent activation), `candidate` (activation).
- SimpleRNN: `state`, the new hidden state (its output at each time step).
"""

import collections

import keras
from keras import ops

from tensorboard_plugin_saturation._legacy_keras import EITHER as _keras

# Gate name -> which of the cell's functions produces it.
_RECURRENT = "recurrent_activation"
_ACTIVATION = "activation"
GATES = {
    "lstm": (("input", _RECURRENT), ("forget", _RECURRENT), ("output", _RECURRENT),
             ("candidate", _ACTIVATION), ("cell", _ACTIVATION)),
    "gru": (("update", _RECURRENT), ("reset", _RECURRENT), ("candidate", _ACTIVATION)),
    "simple_rnn": (("state", _ACTIVATION),),
}

# Which block of the input kernel feeds each gate, in Keras' kernel layout
# (LSTM [i, f, c, o], GRU [z, r, h]); "cell" has no kernel of its own.
_KERNEL_BLOCK = {
    "lstm": {"input": 0, "forget": 1, "candidate": 2, "output": 3},
    "gru": {"update": 0, "reset": 1, "candidate": 2},
    "simple_rnn": {"state": 0},
}
_BLOCKS = {"lstm": 4, "gru": 3, "simple_rnn": 1}

Recurrence = collections.namedtuple("Recurrence", ["gates", "outputs", "mask"])
Recurrence.__doc__ = """What `recompute` returns.

gates: {gate name: [batch, time, units] tensor}, time in processing order
  (reversed for `go_backwards`).
outputs: the hidden state [batch, time, units] at each step, as the layer's
  `return_sequences=True` output (masked steps repeat the previous state).
mask: None, or the bool [batch, time] mask in processing order; gate values
  at masked steps are not samples.
"""


def cell_kind(layer):
    """"lstm", "gru" or "simple_rnn" for an RNN layer with such a cell, else None."""
    if not isinstance(layer, _keras.layers.RNN):
        return None
    cell = layer.cell
    if isinstance(cell, _keras.layers.LSTMCell):
        return "lstm"
    if isinstance(cell, _keras.layers.GRUCell):
        return "gru"
    if isinstance(cell, _keras.layers.SimpleRNNCell):
        return "simple_rnn"
    return None


def gate_functions(layer):
    """[(gate name, activation function)] of a supported recurrent layer, in tag order."""
    kind = cell_kind(layer)
    return [(gate, getattr(layer.cell, source)) for gate, source in GATES[kind]]


def gate_kernel(layer, gate):
    """The block of the input kernel that feeds `gate`, or None ("cell")."""
    kind = cell_kind(layer)
    block = _KERNEL_BLOCK[kind].get(gate)
    if block is None:
        return None
    units = layer.cell.units
    kernel = ops.convert_to_tensor(layer.cell.kernel)
    return kernel[:, block * units:(block + 1) * units]


def kernel_shape(layer):
    """The shape of the layer's whole input kernel (what its initializer saw)."""
    return tuple(int(d) for d in layer.cell.kernel.shape)


def call_arguments(args, kwargs):
    """(sequences, initial_state, mask) of a captured `RNN.call(*args, **kwargs)`."""
    names = ("sequences", "initial_state", "mask")
    values = dict(zip(names, args))
    values.update({k: v for k, v in kwargs.items() if k in names})
    return values.get("sequences"), values.get("initial_state"), values.get("mask")


def recompute(layer, sequences, initial_state=None, mask=None):
    """Runs `layer`'s cell over `sequences` [batch, time, features]; returns a `Recurrence`.

    Args:
      layer: A built `_keras.layers.RNN` (LSTM, GRU, SimpleRNN, or `RNN` of such
        a cell), not stateful.
      sequences: The layer's input.
      initial_state: The `initial_state` the layer was called with, or None
        (zeros).
      mask: The `mask` the layer was called with, or None.
    """
    kind = cell_kind(layer)
    if kind is None:
        raise ValueError(
            "recurrent gates are recomputed for LSTM, GRU and SimpleRNN cells; "
            "got %s with cell %s" % (type(layer).__name__, type(getattr(layer, "cell", None)).__name__)
        )
    cell = layer.cell
    dtype = cell.compute_dtype
    x = ops.cast(sequences, dtype)
    if layer.go_backwards:
        x = ops.flip(x, axis=1)
        mask = None if mask is None else ops.flip(mask, axis=1)
    batch = ops.shape(x)[0]
    if initial_state is None:
        states = [ops.zeros((batch, cell.units), dtype) for _ in range(2 if kind == "lstm" else 1)]
    else:
        states = [ops.cast(s, dtype) for s in keras.tree.flatten(initial_state)]
    projected = _project(cell, kind, x)
    step = {"lstm": _lstm_step, "gru": _gru_step, "simple_rnn": _simple_rnn_step}[kind]
    time_major = ops.transpose(projected, (1, 0, 2))
    if mask is None:
        keep = ops.ones(ops.shape(time_major)[:2], "bool")
    else:
        keep = ops.transpose(ops.cast(mask, "bool"), (1, 0))

    # The carry holds the states, then the gates of the step: the TF backend's
    # scan stacks outputs shaped like the carry only.
    names = [gate for gate, _ in GATES[kind]]
    count = len(states)
    zeros = ops.zeros((batch, cell.units), dtype)

    def scan_step(carry, inputs):
        z, valid = inputs
        gates, new_states = step(cell, z, carry[:count])
        valid = ops.expand_dims(valid, -1)
        kept = [ops.where(valid, new, old) for new, old in zip(new_states, carry[:count])]
        new_carry = kept + list(gates)
        return new_carry, new_carry

    _, stacked = ops.scan(scan_step, states + [zeros] * len(names), (time_major, keep))
    outputs, gates = stacked[0], stacked[count:]
    to_batch_major = lambda t: ops.transpose(t, (1, 0, 2))  # noqa: E731
    return Recurrence(
        {name: to_batch_major(g) for name, g in zip(names, gates)},
        to_batch_major(outputs),
        None if mask is None else ops.cast(ops.transpose(keep, (1, 0)), "bool"),
    )


def _project(cell, kind, x):
    """x @ kernel (+ input bias) for every time step: [batch, time, blocks * units]."""
    z = ops.matmul(x, cell.kernel)
    if cell.use_bias:
        bias = cell.bias
        if kind == "gru" and cell.reset_after:
            bias = bias[0]
        z = z + bias
    return z


def _lstm_step(cell, z, states):
    h, c = states
    z = z + ops.matmul(h, cell.recurrent_kernel)
    z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
    i = cell.recurrent_activation(z_i)
    f = cell.recurrent_activation(z_f)
    candidate = cell.activation(z_c)
    o = cell.recurrent_activation(z_o)
    c = f * c + i * candidate
    cell_out = cell.activation(c)
    h = o * cell_out
    return (i, f, o, candidate, cell_out), [h, c]


def _gru_step(cell, x, states):
    (h,) = states
    units = cell.units
    x_z, x_r, x_h = ops.split(x, 3, axis=-1)
    if cell.reset_after:
        inner = ops.matmul(h, cell.recurrent_kernel)
        if cell.use_bias:
            inner = inner + cell.bias[1]
        r_z, r_r, r_h = ops.split(inner, 3, axis=-1)
    else:
        inner = ops.matmul(h, cell.recurrent_kernel[:, :2 * units])
        r_z, r_r = ops.split(inner, 2, axis=-1)
    z = cell.recurrent_activation(x_z + r_z)
    r = cell.recurrent_activation(x_r + r_r)
    if cell.reset_after:
        recurrent_h = r * r_h
    else:
        recurrent_h = ops.matmul(r * h, cell.recurrent_kernel[:, 2 * units:])
    candidate = cell.activation(x_h + recurrent_h)
    h = z * h + (1 - z) * candidate
    return (z, r, candidate), [h]


def _simple_rnn_step(cell, x, states):
    (h,) = states
    h = cell.activation(x + ops.matmul(h, cell.recurrent_kernel))
    return (h,), [h]
