"""Writes the frozen 0.1.0 logs and records 0.1.0's answers to them.

Run once with PYTHONPATH pointing at a checkout of version 0.1.0 (commit
e97f6d1); its output is committed beside this file and read by
tests/test_frozen_logs.py, which asserts that today's routes and report
answer these logs as 0.1.0 did:

    git worktree add --detach /tmp/v010 e97f6d1
    PYTHONPATH=/tmp/v010 python tests/data/v0_1_0/freeze.py tests/data/v0_1_0

The logs: `callback` (SaturationCallback on a tiny Keras model, 4 batches logged
every 2: the TF op,
units and signals series) and `numpy` (summary.saturation_pb: sigmoid, tanh
and relu layers, NaN and out-of-range values, a description).
"""

import json
import os
import shutil
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from tensorboard.compat.proto import event_pb2  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402

import tensorboard_plugin_saturation as sat  # noqa: E402

# The requests each route is asked, per run and tag; shared with the test.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import requests_0_1_0  # noqa: E402


def write_callback_run(logdir):
    import keras

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32") * 3
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([
        keras.Input((6,)),
        keras.layers.Dense(5, activation="sigmoid", name="dense",
                           kernel_initializer=keras.initializers.RandomNormal(stddev=2.0, seed=1)),
        keras.layers.Dense(4, activation="tanh", name="dense_1"),
        keras.layers.Dense(3, activation="relu", name="dense_2"),
        keras.layers.Dense(1, name="out"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    callback = sat.SaturationCallback(os.path.join(logdir, "callback"), x[:16], update_freq=2)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False, callbacks=[callback])


def write_numpy_run(logdir):
    rng = np.random.default_rng(1)
    writer = EventFileWriter(os.path.join(logdir, "numpy"))
    for step in (0, 10, 15, 20):
        spread = 0.5 + step / 4
        pre = rng.standard_normal((6, 4)) * spread
        sigmoid = 1 / (1 + np.exp(-pre))
        if step == 10:
            sigmoid[0, 0] = np.nan
        tanh = np.tanh(pre * 1.5)
        if step == 15:
            tanh[1, 2] = 1.5  # out of range: a pre-activation passed by mistake
        relu = np.maximum(pre - step / 10, 0)
        for pb in (
            sat.summary.saturation_pb("encoder", sigmoid.astype("float32"), description="The *encoder*.",
                                      layer_index=0),
            sat.summary.saturation_pb("mid", tanh.astype("float32"), activation="tanh", eps=0.05, layer_index=1),
            sat.summary.saturation_pb("head", relu.astype("float32"), activation="relu", layer_index=2),
        ):
            writer.add_event(event_pb2.Event(step=step, wall_time=1.7e9 + step, summary=pb))
    writer.close()


def record_answers(logdir):
    from tensorboard.backend import application
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from werkzeug import test as werkzeug_test
    from tensorboard_plugin_saturation import plugin as plugin_lib

    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"saturation": 0})
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    context = base_plugin.TBContext(logdir=logdir, data_provider=provider, sampling_hints={})
    client = werkzeug_test.Client(application.TensorBoardWSGI([plugin_lib.SaturationPlugin(context)]))
    runs = client.get("/data/plugin/saturation/runs").get_json()
    answers = {}
    for path in requests_0_1_0.requests(runs):
        response = client.get("/data/plugin/saturation/" + path)
        assert response.status_code == 200, (path, response.data)
        answers[path] = response.get_json()
    report = {}
    for args in requests_0_1_0.REPORT_ARGS:
        done = subprocess.run(
            [sys.executable, "-m", "tensorboard_plugin_saturation.report", logdir, *args],
            capture_output=True, text=True,
        )
        stdout = done.stdout.replace(logdir, "{logdir}")
        report[" ".join(args)] = {"status": done.returncode, "stdout": stdout}
    return {"routes": answers, "report": report}


def main():
    out = sys.argv[1]
    logdir = os.path.join(out, "logs")
    shutil.rmtree(logdir, ignore_errors=True)
    write_callback_run(logdir)
    write_numpy_run(logdir)
    with open(os.path.join(out, "answers.json"), "w") as f:
        json.dump(record_answers(logdir), f, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
