"""Recurrent gates on Keras 3's JAX and torch backends, without TensorFlow, each in its own process.

The subprocess fits a Bidirectional LSTM, both kinds of GRU and a masked
SimpleRNN for 2 epochs with `SaturationCallback`, and records the numpy
re-implementation of each cell (`tests/test_keras_recurrent.py`) on the
initial weights; the gates logged at step 0 must equal it.
"""

import textwrap

import numpy as np
import pytest

from tensorboard_plugin_saturation import numpy_statistics
from tests import test_keras_backends as backends

_SCRIPT = textwrap.dedent(
    """
    import sys
    import tests.no_tensorflow  # noqa: F401
    import json

    import numpy as np
    import keras

    import tensorboard_plugin_saturation as sat
    from tensorboard_plugin_saturation import numpy_statistics
    from tests import test_keras_recurrent as cells

    assert keras.backend.backend() == sys.argv[2]
    keras.utils.set_random_seed(0)
    tokens = keras.Input((5,), dtype="int32")
    h = keras.layers.Embedding(9, 3, mask_zero=True, name="embed")(tokens)
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True, name="lstm"), name="bi")(h)
    h = keras.layers.GRU(3, return_sequences=True, name="gru_after")(h)
    h = keras.layers.GRU(3, return_sequences=True, reset_after=False, name="gru_before")(h)
    h = keras.layers.SimpleRNN(2, name="rnn")(h)
    model = keras.Model(tokens, keras.layers.Dense(1, activation="sigmoid", name="out")(h))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    x = np.array([[1, 2, 3, 4, 5], [6, 7, 8, 0, 0], [2, 4, 0, 0, 0], [8, 6, 4, 2, 1]], np.int32)
    y = np.array([[0], [1], [0], [1]], np.float32)
    mask = x != 0

    numpy = cells.numpy
    embedded = numpy(model.get_layer("embed")(x)).astype(np.float64)
    bi = model.get_layer("bi")
    gates = {}
    # Masked steps come last in each row: a cell run on the unmasked prefix gives the unmasked gates.
    for row, length in enumerate(mask.sum(axis=1)):
        sequence = embedded[row:row + 1, :length]
        forward, forward_h = cells.numpy_lstm(sequence, *cells.weights(bi.forward_layer))
        backward, backward_h = cells.numpy_lstm(sequence[:, ::-1], *cells.weights(bi.backward_layer))
        pieces = {"forward_lstm/" + k: v for k, v in forward.items()}
        pieces.update({"backward_lstm/" + k: v for k, v in backward.items()})
        bi_out = np.concatenate([forward_h, backward_h[:, ::-1]], axis=-1)
        after, after_h = cells.numpy_gru(bi_out, *cells.weights(model.get_layer("gru_after")), True)
        before, before_h = cells.numpy_gru(after_h, *cells.weights(model.get_layer("gru_before")), False)
        state, _ = cells.numpy_simple_rnn(before_h, *cells.weights(model.get_layer("rnn")))
        pieces.update({"gru_after/" + k: v for k, v in after.items()})
        pieces.update({"gru_before/" + k: v for k, v in before.items()})
        pieces["rnn"] = state["state"]
        for tag, value in pieces.items():
            gates.setdefault(tag, []).append(value.reshape(-1, value.shape[-1]))
    record = {"reference": {}}
    for tag, parts in gates.items():
        act = "tanh" if tag.endswith(("candidate", "cell")) or tag == "rnn" else "sigmoid"
        record["reference"][tag] = numpy_statistics.compute(np.concatenate(parts), act).layer.tolist()
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[sat.SaturationCallback(sys.argv[1], x)])
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump(record, f)
    """
)

LSTM = ("input", "forget", "output", "candidate", "cell")
GRU = ("update", "reset", "candidate")
TAGS = (["forward_lstm/" + g for g in LSTM] + ["backward_lstm/" + g for g in LSTM]
        + ["gru_after/" + g for g in GRU] + ["gru_before/" + g for g in GRU] + ["rnn", "out"])


@pytest.mark.parametrize("backend", [b for b in backends._backends() if b.values[0] in ("jax", "torch")])
def test_masked_recurrent_gates_equal_numpy_on_jax_and_torch(tmp_path, backend):
    log_dir, record = backends.fit_in_subprocess(tmp_path, _SCRIPT, backend)
    values, files = backends.read_events(log_dir)
    assert files == 1
    assert sorted(values) == sorted((tag + suffix, step) for tag in TAGS for suffix in ("", "/units", "/signals")
                                    for step in (0, 2, 4))
    for tag, reference in record["reference"].items():
        logged = values[(tag, 0)]
        # 5 + 3 + 2 + 5 unmasked steps.
        assert numpy_statistics.field(logged, "count") == 15 * (4 if "lstm" in tag else 3 if "gru" in tag else 2)
        for name in ("count", "mean", "std", "meanDerivative", "saturatedLow", "saturatedHigh"):
            np.testing.assert_allclose(numpy_statistics.field(logged, name),
                                       numpy_statistics.field(np.array(reference), name), atol=1e-5,
                                       err_msg="%s %s" % (tag, name))
