"""Which layers `SaturationCallback` marks as model outputs ("output": true), on every Keras backend.

The probe's trace decides (`_probe.output_indices`): a layer is an output when
its captured output is the very tensor the model returns. Each backend (Keras 3
on TensorFlow, JAX, torch; tf_keras) runs in its own process
(`test_keras_backends.fit_in_subprocess`), fits five tiny models of one pattern
each for 2 epochs, and the layer metadata is read back from their event files.
"""

import json
import os
import textwrap

import pytest

from tensorboard.backend.event_processing import event_file_loader

from tensorboard_plugin_saturation import activations
from tensorboard_plugin_saturation import metadata
from tests import test_keras_backends as backends

_SCRIPT = textwrap.dedent(
    """
    import sys
    if sys.argv[2] in ("jax", "torch"):
        import tests.no_tensorflow  # noqa: F401
    import json
    import warnings

    import numpy as np

    if sys.argv[2] == "tf_keras":
        import tensorflow as tf
        keras = tf.keras
    else:
        import keras

    import tensorboard_plugin_saturation as sat


    class Classifier(keras.Model):
        # A subclassed model with call(): its last Dense (sigmoid) makes the output.
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(4, activation="tanh", name="hidden")
            self.out = keras.layers.Dense(1, activation="sigmoid", name="out")

        def call(self, x):
            return self.out(self.hidden(x))


    class Head(keras.layers.Layer):
        # `prob` makes the output but is assigned before `side`, which call() runs first.
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.prob = keras.layers.Dense(1, activation="sigmoid", name="prob")
            self.side = keras.layers.Dense(3, activation="tanh", name="side")

        def call(self, x):
            return self.prob(self.side(x))


    class WithHead(keras.Model):
        def __init__(self):
            super().__init__()
            self.trunk = keras.layers.Dense(4, activation="relu", name="trunk")
            self.head = Head(name="head")

        def call(self, x):
            return self.head(self.trunk(x))


    class SoftmaxOut(keras.Model):
        # The output is a softmax (unsupported): no layer is the output.
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(4, activation="sigmoid", name="hidden")
            self.logits = keras.layers.Dense(3, name="logits")
            self.softmax = keras.layers.Softmax(name="softmax")

        def call(self, x):
            return self.softmax(self.logits(self.hidden(x)))


    class Reshaped(keras.Model):
        # The sigmoid's output is reshaped before it is returned: not the same tensor, not marked.
        def __init__(self):
            super().__init__()
            self.pair = keras.layers.Dense(2, activation="sigmoid", name="pair")
            self.reshape = keras.layers.Reshape((2, 1), name="reshape")

        def call(self, x):
            return self.reshape(self.pair(x))


    def functional():
        # A Functional model whose output comes from a nested Sequential.
        inputs = keras.Input((3,))
        h = keras.layers.Dense(4, activation="tanh", name="hidden")(inputs)
        head = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", name="out")], name="head")
        return keras.Model(inputs, head(h))


    x = np.linspace(-2.0, 2.0, 12, dtype=np.float32).reshape(4, 3)
    binary = np.array([[0.0], [1.0], [1.0], [0.0]], np.float32)
    cases = {
        "classifier": (Classifier, "binary_crossentropy", binary),
        "custom_layer": (WithHead, "binary_crossentropy", binary),
        "softmax": (SoftmaxOut, "sparse_categorical_crossentropy", np.array([0, 1, 2, 1], np.int32)),
        "reshaped": (Reshaped, "mse", np.zeros((4, 2, 1), np.float32)),
        "functional": (functional, "binary_crossentropy", binary),
    }
    record = {"warnings": {}}
    for name, (build, loss, y) in cases.items():
        keras.utils.set_random_seed(0)
        model = build()
        model.compile(keras.optimizers.SGD(0.1), loss)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(x, y, batch_size=2, epochs=2, verbose=0,
                      callbacks=[sat.SaturationCallback(sys.argv[1] + "/" + name, x[:3])])
        record["warnings"][name] = [str(w.message) for w in caught if "SaturationCallback" in str(w.message)]
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump(record, f)
    """
)


def layer_contents(log_dir):
    """{(tag, step): metadata content} of every `layer` series in `log_dir`."""
    contents = {}
    for name in sorted(f for f in os.listdir(log_dir) if ".tfevents." in f):
        for event in event_file_loader.EventFileLoader(os.path.join(log_dir, name)).Load():
            for value in event.summary.value:
                content = json.loads(value.metadata.plugin_data.content or b"{}")
                if content.get("kind") == "layer":
                    contents[(value.tag, event.step)] = content
    return contents


@pytest.fixture(scope="module", params=backends._backends())
def runs(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(request.param)
    log_dir, record = backends.fit_in_subprocess(tmp_path, _SCRIPT, request.param)
    return log_dir, record


def outputs(log_dir, case):
    """{tag: content["output"] or None} at step 0, and the logged steps."""
    contents = layer_contents(os.path.join(log_dir, case))
    steps = sorted({step for _, step in contents})
    return {tag: content.get("output") for (tag, step), content in contents.items() if step == 0}, steps


def test_a_subclassed_models_last_dense_is_marked_as_the_output(runs):
    log_dir, record = runs
    assert record["warnings"]["classifier"] == []
    assert outputs(log_dir, "classifier") == ({"hidden": None, "out": True}, [0, 2, 4])
    # The whole content, read back at the last step.
    assert layer_contents(os.path.join(log_dir, "classifier"))[("out", 4)] == {
        "kind": "layer", "activation": "sigmoid", "eps": 0.01, "edges": [i / 32 for i in range(33)], "units": 1,
        "fields": list(metadata.STATS_FIELDS), "order": 1, "framework": "keras", "output": True,
        "version": metadata.CONTENT_VERSION,
    }


def test_the_dense_inside_a_custom_layer_that_makes_the_output_is_marked_not_the_last_assigned(runs):
    log_dir, record = runs
    assert record["warnings"]["custom_layer"] == []
    assert outputs(log_dir, "custom_layer") == ({"trunk": None, "prob": True, "side": None}, [0, 2, 4])


def test_a_softmax_output_marks_no_layer(runs):
    log_dir, record = runs
    assert outputs(log_dir, "softmax") == ({"hidden": None}, [0, 2, 4])
    assert record["warnings"]["softmax"] == [
        "SaturationCallback: model 'softmax_out': 1 layer(s) not logged: softmax (activation Softmax is not "
        "supported; supported: %s)." % ", ".join(activations.ACTIVATIONS)
    ]


def test_an_output_reshaped_after_the_activation_marks_no_layer(runs):
    log_dir, record = runs
    assert record["warnings"]["reshaped"] == []
    assert outputs(log_dir, "reshaped") == ({"pair": None}, [0, 2, 4])


def test_a_functional_models_output_from_a_nested_sequential_is_marked(runs):
    log_dir, record = runs
    assert record["warnings"]["functional"] == []
    assert outputs(log_dir, "functional") == ({"hidden": None, "out": True}, [0, 2, 4])
