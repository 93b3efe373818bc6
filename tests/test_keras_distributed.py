"""`SaturationCallback` under `tf.distribute.MirroredStrategy` on two logical CPUs.

Logical devices must be configured before TensorFlow initialises its runtime,
which other tests in the same process have already done, so the fit runs in a
fresh interpreter and this test reads its event files back.
"""

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorflow")

from tests.test_keras_callback import event_files, expected, tag_steps  # noqa: E402

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
