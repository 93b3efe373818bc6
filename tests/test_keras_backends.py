"""`SaturationCallback` on Keras 3's JAX, torch and TensorFlow backends and on tf_keras, each in its own process.

For JAX and torch TensorFlow is blocked from import (`tests/no_tensorflow.py`),
as where it is not installed; tf_keras is legacy Keras 2 (`TF_USE_LEGACY_KERAS=1`,
`tf.keras`). Each subprocess fits the same tiny model for 2
epochs (2 batches each, a log after every batch) and records, next to the
callback's event file, the reference: the numpy statistics of each layer's
output (from a Keras sub-model on the same weights) at the first and last
step, and the kernels at every step. Torch runs in its own process also
because TensorFlow and torch in one process can crash.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tensorboard.backend.event_processing import event_file_loader
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import metadata
from tests import logs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAGS = ["dense", "dense_tanh", "relu"]
STEPS = [0, 1, 2, 3, 4]
SIGNAL = {name: i for i, name in enumerate(metadata.SIGNALS_FIELDS)}

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
        assert keras.__name__.startswith("tf_keras"), keras.__name__
        iterations = lambda model: int(model.optimizer.iterations.numpy())
    else:
        import keras
        assert keras.backend.backend() == sys.argv[2], keras.backend.backend()
        iterations = lambda model: int(keras.ops.convert_to_numpy(model.optimizer.iterations))

    import tensorboard_plugin_saturation as sat
    from tensorboard_plugin_saturation import numpy_statistics

    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,), name="x")
    h = keras.layers.Dense(5, activation="sigmoid", name="dense")(inputs)
    h = keras.layers.Dense(4, activation="tanh", name="dense_tanh")(h)
    h = keras.layers.Activation("relu", name="relu")(h)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(h))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.linspace(-2.0, 2.0, 18, dtype=np.float32).reshape(6, 3)
    y = np.stack([np.sin(3 * x[:, 0]), x[:, 1] * x[:, 2]], axis=1).astype(np.float32)
    activations = {"dense": "sigmoid", "dense_tanh": "tanh", "relu": "relu"}
    kernels = {"dense": "dense", "dense_tanh": "dense_tanh"}
    outputs = keras.Model(inputs, [model.get_layer(n).output for n in activations])

    def reference():
        values = outputs.predict(x, verbose=0)
        return {
            name: {
                "layer": numpy_statistics.compute(v, act).layer.tolist(),
                "units": numpy_statistics.compute(v, act).units.tolist(),
            }
            for (name, act), v in zip(activations.items(), values)
        }

    class Kernels(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step = iterations(self.model)
            record["kernels"][step] = {n: model.get_layer(n).get_weights()[0].tolist() for n in kernels}

    record = {"first": reference(), "kernels": {}}
    record["kernels"][0] = {n: model.get_layer(n).get_weights()[0].tolist() for n in kernels}
    callback = sat.SaturationCallback(sys.argv[1], x, update_freq=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0, callbacks=[Kernels(), callback])
    record["last"] = reference()
    if sys.argv[2] != "tf_keras":  # whether Keras may run end-of-batch hooks without waiting for each batch
        record["async_batch_end"] = keras.callbacks.CallbackList([callback], model=model)._async_train
    record["warnings"] = [str(w.message) for w in caught if "SaturationCallback" in str(w.message)]
    record["tensorflow"] = sorted(m for m, module in sys.modules.items() if m.split(".")[0] == "tensorflow" and module is not None)
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump(record, f)
    """
)


def _installed(name):
    return importlib.util.find_spec(name) is not None


def _backends():
    return [
        pytest.param(
            backend,
            marks=pytest.mark.skipif(not _installed(package), reason="%s is not installed" % package),
        )
        for backend, package in (
            ("jax", "jax"), ("torch", "torch"), ("tensorflow", "tensorflow"), ("tf_keras", "tf_keras")
        )
    ]


def read_events(log_dir):
    """{(tag, step): ndarray} of every summary value in `log_dir`, and the number of event files."""
    values = {}
    files = sorted(f for f in os.listdir(log_dir) if ".tfevents." in f)
    for name in files:
        for event in event_file_loader.EventFileLoader(os.path.join(log_dir, name)).Load():
            for value in event.summary.value:
                key = (value.tag, event.step)
                assert key not in values, key
                values[key] = tensor_util.make_ndarray(value.tensor)
    return values, len(files)


def fit_in_subprocess(tmp_path, script, backend):
    """Runs `script LOG_DIR BACKEND` with Keras on `backend` ("tf_keras": legacy Keras 2); returns (log dir, its JSON record)."""
    path = tmp_path / "fit.py"
    path.write_text(script)
    log_dir = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    if backend == "tf_keras":
        env.update(KERAS_BACKEND="tensorflow", TF_USE_LEGACY_KERAS="1")
    done = subprocess.run(
        [sys.executable, str(path), str(log_dir), backend],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with open(str(log_dir) + ".json") as f:
        return str(log_dir), json.load(f)


@pytest.fixture(scope="module", params=_backends())
def backend_run(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(request.param)
    log_dir, record = fit_in_subprocess(tmp_path, _SCRIPT, request.param)
    values, files = read_events(log_dir)
    return request.param, values, files, record


def test_every_layer_is_logged_at_every_step_in_one_event_file(backend_run):
    _, values, files, record = backend_run
    assert files == 1
    assert record["warnings"] == []
    assert sorted(values) == logs.expected_tag_steps(TAGS, STEPS)


def test_no_tensorflow_is_imported_on_jax_and_torch(backend_run):
    backend, _, _, record = backend_run
    if backend in ("tensorflow", "tf_keras"):
        assert "tensorflow" in record["tensorflow"]
    else:
        assert record["tensorflow"] == []


def test_the_callback_leaves_end_of_batch_hooks_asynchronous(backend_run):
    # It works at batch begin: with an end-of-batch hook Keras would wait for
    # every batch's logs (on JAX that alone tripled this MLP's fit time).
    backend, _, _, record = backend_run
    if backend in ("jax", "torch"):
        assert record["async_batch_end"] is True
    elif backend == "tensorflow":  # Keras never dispatches asynchronously on TensorFlow
        assert record["async_batch_end"] is False


@pytest.mark.parametrize("which, step", [("first", 0), ("last", 4)])
def test_statistics_equal_the_numpy_reference(backend_run, which, step):
    _, values, _, record = backend_run
    for tag in TAGS:
        expected = record[which][tag]
        np.testing.assert_allclose(values[(tag, step)], expected["layer"], rtol=2e-6, atol=1e-7, err_msg=tag)
        np.testing.assert_array_equal(values[(tag + metadata.UNITS_SUFFIX, step)], expected["units"], err_msg=tag)


def test_count_and_histogram_are_exact(backend_run):
    _, values, _, record = backend_run
    count = metadata.STATS_FIELDS.index("count")
    for tag in TAGS:
        for which, step in (("first", 0), ("last", 4)):
            logged, expected = values[(tag, step)], np.array(record[which][tag]["layer"])
            assert logged[count] == expected[count] == 6 * (5 if tag == "dense" else 4)
            np.testing.assert_array_equal(logged[len(metadata.STATS_FIELDS):], expected[len(metadata.STATS_FIELDS):])


def test_signals_hold_input_scale_kernel_change_and_learning_rate(backend_run):
    _, values, _, record = backend_run
    x = np.linspace(-2.0, 2.0, 18, dtype=np.float32).reshape(6, 3)
    signals = values[("dense/signals", 0)]
    np.testing.assert_allclose(signals[SIGNAL["inputStd"]], np.std(x.astype(np.float64)), rtol=1e-6)
    assert signals[SIGNAL["inputMaxAbs"]] == 2.0
    assert signals[SIGNAL["glorotStd"]] == np.sqrt(2.0 / (3 + 5))
    assert signals[SIGNAL["learningRate"]] == np.float32(0.1)
    assert np.isnan(signals[SIGNAL["updateRatio"]])
    for tag in ("dense", "dense_tanh"):
        ratios = []
        for step in STEPS:
            kernel = np.array(record["kernels"][str(step)][tag], np.float64)
            logged = values[(tag + metadata.SIGNALS_SUFFIX, step)]
            np.testing.assert_allclose(logged[SIGNAL["kernelStd"]], np.std(kernel), rtol=1e-5)
            if step:
                previous = np.array(record["kernels"][str(step - 1)][tag], np.float64)
                ratios.append(np.linalg.norm(kernel - previous) / np.linalg.norm(previous))
                np.testing.assert_allclose(logged[SIGNAL["updateRatio"]], ratios[-1], rtol=1e-4, atol=1e-9)
        # Keras on torch leaves the kernels unchanged over the first batch of
        # the second epoch (also without the callback); the other steps move.
        assert sum(ratio > 1e-3 for ratio in ratios) >= 3, (tag, ratios)
    relu = values[("relu/signals", 2)]
    assert np.isnan(relu[SIGNAL["kernelStd"]]) and np.isnan(relu[SIGNAL["updateRatio"]])


_TF_KERAS_LSTM_SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    import warnings

    import numpy as np
    import tensorflow as tf

    import tensorboard_plugin_saturation as sat

    k = tf.keras
    k.utils.set_random_seed(0)
    inputs = k.Input((4, 3))
    h = k.layers.LSTM(5, name="lstm")(inputs)
    h = k.layers.Dense(4, activation="tanh", name="dense_tanh")(h)
    model = k.Model(inputs, k.layers.Dense(2, name="out")(h))
    model.compile(k.optimizers.SGD(0.1), "mse")
    x = np.linspace(-2.0, 2.0, 72, dtype=np.float32).reshape(6, 4, 3)
    callback = sat.SaturationCallback(sys.argv[1], x, update_freq=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, np.zeros((6, 2), np.float32), batch_size=3, epochs=2, verbose=0, callbacks=[callback])
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump({"warnings": [str(w.message) for w in caught if "SaturationCallback" in str(w.message)]}, f)
    """
)


@pytest.mark.skipif(not _installed("tf_keras"), reason="tf_keras is not installed")
def test_tf_keras_logs_lstm_gates_recomputed_from_the_weights(tmp_path):
    log_dir, record = fit_in_subprocess(tmp_path, _TF_KERAS_LSTM_SCRIPT, "tf_keras")
    values, files = read_events(log_dir)
    assert files == 1 and record["warnings"] == []
    gates = ["lstm/" + gate for gate in ("input", "forget", "output", "candidate", "cell")]
    assert sorted(tag for tag, step in values if step == 0 and not tag.endswith(("/units", "/signals"))) == sorted(
        gates + ["dense_tanh"]
    )
    assert sorted({step for _, step in values}) == [0, 2, 4]
    count = metadata.STATS_FIELDS.index("count")
    for gate in gates:
        assert values[(gate, 4)][count] == 6 * 4 * 5  # every (sequence, time step) pair, 5 units
