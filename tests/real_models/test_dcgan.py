"""keras-io "GAN overriding Model.train_step" (fchollet), with SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/generative/dcgan_overriding_train_step.py
Licence: Apache License 2.0 (keras-io). Discriminator, generator and train_step as published (no call(); two
optimizers of its own, so model.optimizer never steps); MNIST replaced by 8 random 28x28x1 images; batches of 4,
2 epochs, logged every batch.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from keras import layers  # noqa: E402

from tensorboard_plugin_saturation import activations  # noqa: E402
from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402

latent_dim = 128


def build():
    discriminator = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ], name="discriminator")
    generator = keras.Sequential([
        keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 128),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Reshape((7, 7, 128)),
        layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
    ], name="generator")
    return discriminator, generator


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * tf.random.uniform(tf.shape(labels))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def test_dcgan_logs_the_generator_at_every_trained_batch(tmp_path):
    common.fresh()
    discriminator, generator = build()
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    all_digits = np.random.default_rng(3).uniform(0, 1, (8, 28, 28, 1)).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(all_digits).batch(4)
    z = np.random.default_rng(4).normal(size=(4, latent_dim)).astype("float32")
    found, contents = common.fit_logged(
        gan, dataset, None, tmp_path, {"discriminator": all_digits[:4], "generator": z}, update_freq=1)
    assert int(gan.optimizer.iterations) == 0 and int(gan.g_optimizer.iterations) == 4
    assert base.tag_steps(str(tmp_path)) == base.expected(["conv2d_2"], [0, 1, 2, 3, 4])
    assert common.outputs(contents) == ["conv2d_2"]
    assert contents["conv2d_2"]["trainStep"] == "custom"
    skipped = "; ".join(
        "%s (activation LeakyReLU is not supported; supported: %s)" % (path, ", ".join(activations.ACTIVATIONS))
        for path in ("discriminator/leaky_re_lu", "discriminator/leaky_re_lu_1",
                     "generator/leaky_re_lu_2", "generator/leaky_re_lu_3", "generator/leaky_re_lu_4"))
    assert found == ["SaturationCallback: model 'gan': 5 layer(s) not logged: %s." % skipped]
