"""`_probe_tf._implementations`: which statistics path each activation takes in the Keras TF probe."""

import types

from tensorboard_plugin_saturation import _probe_tf
from tensorboard_plugin_saturation import activations


def _targets(*names):
    return [types.SimpleNamespace(activation=activations.get(name)) for name in names]


def test_an_activation_with_few_probe_values_takes_the_generic_ops():
    limit = _probe_tf.FUSED_MIN_VALUES
    chosen = _probe_tf._implementations(
        _targets("relu", "relu", "sigmoid", "tanh"), [limit // 2, limit // 2, limit - 1, 256]
    )
    # relu's two layers together reach the limit: one compilation serves both.
    assert chosen == {"relu": "auto", "sigmoid": "generic", "tanh": "generic"}


def test_an_unknown_size_keeps_the_fused_kernel_for_its_activation():
    chosen = _probe_tf._implementations(_targets("sigmoid", "sigmoid", "tanh"), [8, None, 8])
    assert chosen == {"sigmoid": "auto", "tanh": "generic"}
