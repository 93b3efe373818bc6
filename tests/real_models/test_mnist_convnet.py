"""keras-io "Simple MNIST convnet" (fchollet), with SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/vision/mnist_convnet.py
Licence: Apache License 2.0 (keras-io). Model as published; MNIST replaced by 16 random 28x28x1 images and
one-hot labels; batches of 8, 2 epochs.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from keras import layers  # noqa: E402

from tensorboard_plugin_saturation import activations  # noqa: E402
from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402

num_classes = 10
input_shape = (28, 28, 1)


def test_mnist_convnet_logs_both_convolutions_and_names_the_softmax_it_skips(tmp_path):
    common.fresh()
    model = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(5)
    x_train = rng.uniform(0, 1, (16,) + input_shape).astype("float32")
    y_train = keras.utils.to_categorical(rng.integers(0, num_classes, 16), num_classes)
    found, contents = common.fit_logged(model, x_train, y_train, tmp_path, x_train[:8], batch_size=8)
    assert found == ["SaturationCallback: model 'sequential': 1 layer(s) not logged: dense (activation softmax "
                     "is not supported; supported: %s)." % ", ".join(activations.ACTIVATIONS)]
    assert base.tag_steps(str(tmp_path)) == base.expected(["conv2d", "conv2d_1"], [0, 2, 4])
    assert common.outputs(contents) == []
    # 8 images x 26 x 26 positions x 32 filters.
    assert base.series(str(tmp_path), "conv2d")[0][0] == 8 * 26 * 26 * 32
