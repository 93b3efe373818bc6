"""keras-io "Variational AutoEncoder" (fchollet), with SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/generative/vae.py
Licence: Apache License 2.0 (keras-io). Encoder and decoder (keras_io_vae.py) and the VAE's custom train_step as
published (TF ops replaced by keras.ops, the metric trackers kept); MNIST replaced by 8 random images of 28x28x1
in [0, 1]; 2 epochs.
The published VAE defines call(); the Keras 3 pattern without it is run too, with a probe per sub-model.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from keras import layers, ops  # noqa: E402

from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402
from tests.real_models.keras_io_vae import build_decoder, build_encoder  # noqa: E402


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=1337)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {"loss": self.total_loss_tracker.result()}


class PublishedVAE(VAE):
    def call(self, x):
        z_mean, z_log_var, z = self.encoder(x)
        return self.decoder(z)


ENCODER_TAGS = ["conv2d", "conv2d_1", "dense"]
DECODER_TAGS = ["dense_1", "conv2d_transpose", "conv2d_transpose_1", "conv2d_transpose_2"]


def digits():
    return np.random.default_rng(2).uniform(0, 1, (8, 28, 28, 1)).astype("float32")


def test_published_vae_with_call_logs_encoder_and_decoder(tmp_path):
    common.fresh()
    vae = PublishedVAE(build_encoder(Sampling), build_decoder())
    vae.compile(optimizer=keras.optimizers.Adam())
    mnist_digits = digits()
    found, contents = common.fit_logged(vae, mnist_digits, None, tmp_path, mnist_digits[:4], batch_size=4)
    assert found == []
    assert base.tag_steps(str(tmp_path)) == base.expected(ENCODER_TAGS + DECODER_TAGS, [0, 2, 4])
    # call() returns the decoder's output: the probe's trace marks its last layer.
    assert common.outputs(contents) == ["conv2d_transpose_2"]
    assert {c["trainStep"] for c in contents.values()} == {"custom"}


def test_vae_without_call_is_probed_per_submodel(tmp_path):
    common.fresh()
    vae = VAE(build_encoder(Sampling), build_decoder())
    vae.compile(optimizer=keras.optimizers.Adam())
    mnist_digits = digits()
    z = np.array([[0.0, 0.0], [1.0, -1.0], [-2.0, 0.5]], "float32")
    found, contents = common.fit_logged(vae, mnist_digits, None, tmp_path,
                                        {"encoder": mnist_digits[:4], "decoder": z}, batch_size=4)
    assert found == []
    assert base.tag_steps(str(tmp_path)) == base.expected(ENCODER_TAGS + DECODER_TAGS, [0, 2, 4])
    assert common.outputs(contents) == ["conv2d_transpose_2"]
