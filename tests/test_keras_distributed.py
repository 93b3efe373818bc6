"""`SaturationCallback` under `tf.distribute`: MirroredStrategy on two logical CPUs, and
MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1.

Logical devices must be configured before TensorFlow initialises its runtime,
which other tests in the same process have already done, so each fit runs in
fresh interpreters and the test reads their event files back. The
multi-worker fit uses tf_keras (legacy Keras 2): Keras 3's own support of
MultiWorkerMirroredStrategy is broken upstream (tensorflow/tensorflow#72388).
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorflow")

import numpy as np  # noqa: E402

from tensorboard_plugin_saturation import metadata  # noqa: E402
from tensorboard_plugin_saturation import numpy_statistics  # noqa: E402
from tests.test_keras_callback import event_files, expected, series, tag_steps  # noqa: E402

_SCRIPT = textwrap.dedent(
    """
    import sys
    import warnings

    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    import keras
    import numpy as np

    import tensorboard_plugin_saturation as sat

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            keras.Input((3,)),
            keras.layers.Dense(4, activation="sigmoid", name="hidden"),
            keras.layers.Dense(4, activation="relu", name="rectified"),
            keras.layers.Dense(2, name="out"),
        ])
        model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(8, 3)
    callback = sat.SaturationCallback(sys.argv[1], x[:4], update_freq=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(x, np.zeros((8, 2), np.float32), batch_size=4, epochs=2, verbose=0,
                  callbacks=[callback])
    assert int(model.optimizer.iterations.numpy()) == 4
    assert not [w for w in record if "SaturationCallback" in str(w.message)], record
    """
)


def test_mirrored_strategy_logs_one_value_per_layer_and_step(tmp_path):
    script = tmp_path / "fit_mirrored.py"
    script.write_text(_SCRIPT)
    log_dir = tmp_path / "run"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    done = subprocess.run(
        [sys.executable, str(script), str(log_dir)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert os.listdir(str(log_dir)) == event_files(str(log_dir))
    assert len(event_files(str(log_dir))) == 1
    assert tag_steps(str(log_dir)) == expected(["hidden", "rectified"], [0, 2, 4])


_MULTI_WORKER_SCRIPT = textwrap.dedent(
    """
    import json
    import sys
    import warnings

    import numpy as np
    import tensorflow as tf

    import tensorboard_plugin_saturation as sat

    k = tf.keras
    assert k.__name__.startswith("tf_keras"), k.__name__
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
    with strategy.scope():
        k.utils.set_random_seed(0)
        model = k.Sequential([
            k.Input((3,)),
            k.layers.Dense(4, activation="sigmoid", name="hidden"),
            k.layers.Dense(4, activation="relu", name="rectified"),
            k.layers.Dense(2, name="out"),
        ])
        model.compile(k.optimizers.SGD(0.1), "mse")
    x = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(8, 3)
    y = np.stack([x[:, 0] * x[:, 1], np.sin(3 * x[:, 2])], axis=1).astype(np.float32)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4).with_options(options)
    callback = sat.SaturationCallback(sys.argv[1], x[:4], update_freq=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data, epochs=2, verbose=0, callbacks=[callback])
    weights = {layer.name: [w.tolist() for w in layer.get_weights()] for layer in model.layers}
    with open(sys.argv[1] + ".json", "w") as f:
        json.dump({
            "iterations": int(model.optimizer.iterations.numpy()),
            "warnings": [str(w.message) for w in caught if "SaturationCallback" in str(w.message)],
            "weights": weights,
        }, f)
    """
)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is None, reason="tf_keras is not installed")
def test_multi_worker_mirrored_strategy_trains_and_only_the_chief_writes(tmp_path):
    script = tmp_path / "fit_multi_worker.py"
    script.write_text(_MULTI_WORKER_SCRIPT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cluster = {"worker": ["127.0.0.1:%d" % port for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(
            os.environ, PYTHONPATH=root, TF_CPP_MIN_LOG_LEVEL="2", TF_USE_LEGACY_KERAS="1",
            KERAS_BACKEND="tensorflow",
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        log = open(str(tmp_path / ("worker%d.log" % index)), "w")
        workers.append(subprocess.Popen(
            [sys.executable, str(script), str(tmp_path / ("run%d" % index))],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        ))
    try:
        codes = [worker.wait(timeout=240) for worker in workers]
    finally:
        for worker in workers:  # no hang outlives the test
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    logs = [(tmp_path / ("worker%d.log" % i)).read_text()[-2000:] for i in range(2)]
    assert codes == [0, 0], logs
    records = [json.loads((tmp_path / ("run%d.json" % i)).read_text()) for i in range(2)]
    assert [r["iterations"] for r in records] == [4, 4]  # 2 global batches of 4 per epoch
    assert [r["warnings"] for r in records] == [[], []]
    # Worker 0 is the chief of a cluster without a "chief" task: it alone writes.
    assert not (tmp_path / "run1").exists()
    log_dir = str(tmp_path / "run0")
    assert len(event_files(log_dir)) == 1
    assert tag_steps(log_dir) == expected(["hidden", "rectified"], [0, 1, 2, 3, 4])
    # The last log is after the last update: the statistics of the final weights.
    weights = {name: [np.array(w, np.float32) for w in ws] for name, ws in records[0]["weights"].items()}
    x = np.linspace(-1.0, 1.0, 24, dtype=np.float32).reshape(8, 3)[:4]
    hidden = 1.0 / (1.0 + np.exp(-(x @ weights["hidden"][0] + weights["hidden"][1])))
    rectified = np.maximum(hidden @ weights["rectified"][0] + weights["rectified"][1], 0.0)
    for tag, values, activation in (("hidden", hidden, "sigmoid"), ("rectified", rectified, "relu")):
        reference = numpy_statistics.compute(values.astype(np.float32), activation)
        np.testing.assert_allclose(series(log_dir, tag)[4], reference.layer, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(series(log_dir, tag + metadata.UNITS_SUFFIX)[4], reference.units)
