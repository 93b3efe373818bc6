"""The encoder and decoder of keras-io's VAE, for tests/real_models/test_vae.py and benchmarks/bench_compile.py.

Source: https://github.com/keras-team/keras-io/blob/master/examples/generative/vae.py
Licence: Apache License 2.0 (keras-io, fchollet). Layers as published; the sampling layer is the caller's
(the test draws its noise with a fixed seed, the benchmark with the published SeedGenerator).
Not a test module.
"""

import keras
from keras import layers

LATENT_DIM = 2


def build_encoder(sampling_layer):
    """The encoder: 28 x 28 x 1 images -> [z_mean, z_log_var, z], z drawn by `sampling_layer()`."""
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    z = sampling_layer()([z_mean, z_log_var])
    return keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")


def build_decoder():
    """The decoder: LATENT_DIM -> 28 x 28 x 1 images in (0, 1)."""
    latent_inputs = keras.Input(shape=(LATENT_DIM,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")
