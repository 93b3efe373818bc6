"""keras-io "Bidirectional LSTM on IMDB" (fchollet), with SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/nlp/bidirectional_lstm_imdb.py
Licence: Apache License 2.0 (keras-io). Model as published; the IMDB reviews are replaced by random token ids of
the same shape (maxlen 200, 20000 words), 8 reviews, 2 epochs.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from keras import layers  # noqa: E402

from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402

max_features = 20000
maxlen = 200


def build():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 128)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


def test_bidirectional_lstm_imdb_logs_every_gate_of_both_directions(tmp_path):
    common.fresh()
    model = build()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x_train = rng.integers(1, max_features, (8, maxlen)).astype(np.int32)
    y_train = rng.integers(0, 2, (8,))
    found, contents = common.fit_logged(model, x_train, y_train, tmp_path, x_train[:4], batch_size=4)
    tags = (common.lstm_tags("forward_lstm") + common.lstm_tags("backward_lstm")
            + common.lstm_tags("forward_lstm_1") + common.lstm_tags("backward_lstm_1") + ["dense"])
    assert found == []
    assert base.tag_steps(str(tmp_path)) == base.expected(tags, [0, 2, 4])
    assert common.outputs(contents) == ["dense"]
    assert contents["backward_lstm_1/forget"]["group"] == "backward_lstm_1"
    # Every (review, word) pair is a sample of each gate: 4 x 200 x 64 values.
    assert base.series(str(tmp_path), "forward_lstm/input")[0][0] == 4 * 200 * 64
