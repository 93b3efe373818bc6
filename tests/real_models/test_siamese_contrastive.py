"""keras-io "Image similarity estimation using a Siamese Network with a contrastive loss" (Mehdi), with
SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/vision/siamese_contrastive.py
Licence: Apache License 2.0 (keras-io). Model as published (one embedding network, a nested Functional model,
shared by two towers; Lambda distance; BatchNormalization; sigmoid head); tf.keras/tf.math replaced by keras/
keras.ops; MNIST pairs replaced by 8 random pairs of 28x28x1 images; batches of 4, 2 epochs.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tensorflow")

from keras import layers, ops  # noqa: E402

from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402

margin = 1


def euclidean_distance(vects):
    x, y = vects
    sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))


def build():
    input = layers.Input((28, 28, 1))
    x = layers.BatchNormalization()(input)
    x = layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(input, x)
    input_1 = layers.Input((28, 28, 1))
    input_2 = layers.Input((28, 28, 1))
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    merge_layer = layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = layers.BatchNormalization()(merge_layer)
    output_layer = layers.Dense(1, activation="sigmoid")(normal_layer)
    return keras.Model(inputs=[input_1, input_2], outputs=output_layer)


def contrastive_loss(y_true, y_pred):
    square_pred = ops.square(y_pred)
    margin_square = ops.square(ops.maximum(margin - y_pred, 0))
    return ops.mean((1 - y_true) * square_pred + y_true * margin_square)


def test_siamese_network_logs_the_shared_embedding_network_once(tmp_path):
    common.fresh()
    siamese = build()
    siamese.compile(loss=contrastive_loss, optimizer="RMSprop", metrics=["accuracy"])
    rng = np.random.default_rng(7)
    x_train_1, x_train_2 = (rng.uniform(0, 1, (8, 28, 28, 1)).astype("float32") for _ in range(2))
    labels_train = rng.integers(0, 2, (8, 1)).astype("float32")
    found, contents = common.fit_logged(siamese, [x_train_1, x_train_2], labels_train, tmp_path,
                                        [x_train_1[:4], x_train_2[:4]], batch_size=4)
    assert found == []
    assert base.tag_steps(str(tmp_path)) == base.expected(["conv2d", "conv2d_1", "dense", "dense_1"], [0, 2, 4])
    assert common.outputs(contents) == ["dense_1"]
    # The embedding network is probed on the first tower's images (its first call).
    assert base.series(str(tmp_path), "dense")[0][0] == 4 * 10
