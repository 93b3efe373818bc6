"""keras-io "Variational AutoEncoder" (fchollet), with SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/generative/vae.py
Licence: Apache License 2.0 (keras-io). Encoder, decoder and the VAE with its custom train_step as published
(keras_io_vae.py: TF ops replaced by keras.ops, the metric trackers kept); MNIST replaced by 8 random images of
28x28x1 in [0, 1]; 2 epochs.
The published VAE defines call(); the Keras 3 pattern without it is run too, with a probe per sub-model.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from keras import layers, ops  # noqa: E402

from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402
from tests.real_models.keras_io_vae import VAE, PublishedVAE, build_decoder, build_encoder  # noqa: E402


class Sampling(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(shape=ops.shape(z_mean), seed=1337)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


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
