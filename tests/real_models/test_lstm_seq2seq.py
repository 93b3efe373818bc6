"""keras-io "Character-level recurrent sequence-to-sequence model" (fchollet), with SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/nlp/lstm_seq2seq.py
Licence: Apache License 2.0 (keras-io). Model as published (the decoder LSTM starts from the encoder's states);
latent_dim 256 -> 16; the English/French sentences are replaced by 6 one-hot sequences of 7 and 9 characters over
11 and 13 tokens; 2 epochs.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from tensorboard_plugin_saturation import activations  # noqa: E402
from tensorboard_plugin_saturation import numpy_statistics  # noqa: E402
from tests import test_keras_callback as base  # noqa: E402
from tests import test_keras_recurrent as cells  # noqa: E402
from tests.real_models import common  # noqa: E402

latent_dim = 16
num_encoder_tokens, num_decoder_tokens = 11, 13
max_encoder_seq_length, max_decoder_seq_length = 7, 9


def build():
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)


def one_hot(rng, samples, length, tokens):
    return np.eye(tokens, dtype="float32")[rng.integers(0, tokens, (samples, length))]


def test_seq2seq_decoder_gates_start_from_the_encoder_states(tmp_path):
    common.fresh()
    model = build()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    encoder_input_data = one_hot(rng, 6, max_encoder_seq_length, num_encoder_tokens)
    decoder_input_data = one_hot(rng, 6, max_decoder_seq_length, num_decoder_tokens)
    decoder_target_data = one_hot(rng, 6, max_decoder_seq_length, num_decoder_tokens)
    probe = [encoder_input_data[:3], decoder_input_data[:3]]
    # The decoder's forget gate before training, from numpy, starting from the encoder's final states.
    encoder, decoder = model.get_layer("lstm"), model.get_layer("lstm_1")
    encoder_gates, encoder_h = cells.numpy_lstm(probe[0].astype(np.float64), *cells.weights(encoder))
    c = np.arctanh(encoder_gates["cell"][:, -1])  # the "cell" gate is tanh(c)
    decoder_gates, _ = cells.numpy_lstm(probe[1].astype(np.float64), *cells.weights(decoder),
                                        h0=encoder_h[:, -1], c0=c)
    want = numpy_statistics.compute(decoder_gates["forget"], "sigmoid")[0]

    found, contents = common.fit_logged(
        model, [encoder_input_data, decoder_input_data], decoder_target_data, tmp_path, probe, batch_size=3)

    supported = ", ".join(activations.ACTIVATIONS)
    assert found == ["SaturationCallback: model 'functional': 1 layer(s) not logged: dense (activation softmax "
                     "is not supported; supported: %s)." % supported]
    assert base.tag_steps(str(tmp_path)) == base.expected(common.lstm_tags("lstm") + common.lstm_tags("lstm_1"),
                                                          [0, 2, 4])
    assert common.outputs(contents) == []
    logged = base.series(str(tmp_path), "lstm_1/forget")[0]
    for name in ("count", "mean", "std", "saturatedLow", "saturatedHigh"):
        np.testing.assert_allclose(numpy_statistics.field(logged, name), numpy_statistics.field(want, name),
                                   atol=1e-5, err_msg=name)
