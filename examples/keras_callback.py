"""Keras: one callback logs every sigmoid, tanh and relu layer while the model trains.

    python examples/keras_callback.py [LOG_DIR]    # default logs/keras
"""
import sys

import keras
import numpy as np

import tensorboard_plugin_saturation as sat

log_dir = sys.argv[1] if len(sys.argv) > 1 else "logs/keras"
rng = np.random.default_rng(0)
x = rng.standard_normal((512, 20)).astype("float32")
y = (x[:, :5].sum(axis=1) > 0).astype("float32")
model = keras.Sequential([
    keras.Input((20,)),
    keras.layers.Dense(64, activation="tanh"),
    keras.layers.Dense(64, activation="sigmoid"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
model.fit(x, y, batch_size=64, epochs=3, verbose=0,
          callbacks=[sat.SaturationCallback(log_dir, probe_data=x[:256], update_freq=10)])
