"""Trains the calibration cases with the real `SaturationCallback` and diagnoses them.

`python -m tests.calibration.train LOGDIR [NAME ...]` trains the cases into
LOGDIR (one run per case), prints each case's score, training time and
diagnosis; the test does the same in a module-scoped fixture.
"""

import json
import os
import sys
import time

import numpy as np

from tests.calibration import cases as cases_lib

BATCH = 32
UPDATE_FREQ = 11  # 4 logs per epoch of 1400 samples
PROBE = 256


def score(model, case, x, y, kind):
    """Held-out accuracy for classifiers, minus the held-out loss otherwise."""
    held_x, held_y = x[cases_lib.TRAIN:], y[cases_lib.TRAIN:]
    loss = float(np.ravel(model.evaluate(held_x, held_y, verbose=0, batch_size=256))[0])
    if kind in ("classes", "binary"):
        predictions = model.predict(held_x, verbose=0, batch_size=256)
        if kind == "classes":
            predicted = predictions.argmax(axis=1)
        else:
            predicted = (predictions[:, 0] > 0.5).astype("float32")
        return float(np.mean(predicted == held_y))
    return -loss if np.isfinite(loss) else -1e9


def train(case, logdir, data):
    """Trains `case` into logdir/case.name with SaturationCallback; returns (score, seconds)."""
    import keras

    from tensorboard_plugin_saturation import SaturationCallback

    x, y, kind = data[case.data]
    keras.utils.set_random_seed(0)
    model = case.build(keras)
    model.compile(optimizer=case.optimizer(keras), loss=case.loss)
    if case.summary_of is None:
        callback = SaturationCallback(os.path.join(logdir, case.name), x[:PROBE], update_freq=UPDATE_FREQ)
    else:
        callback = _summary_logger(keras, model, os.path.join(logdir, case.name), x[:PROBE], *case.summary_of)
    start = time.perf_counter()
    model.fit(x[: cases_lib.TRAIN], y[: cases_lib.TRAIN], epochs=case.epochs, batch_size=BATCH,
              verbose=0, callbacks=[callback], shuffle=True)
    seconds = time.perf_counter() - start
    return score(model, case, x, y, kind), seconds


def _summary_logger(keras, model, logdir, probe, layer_name, activation):
    """A callback that logs one layer's output with `summary.saturation_pb`, declared as `activation`."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    from tensorboard_plugin_saturation import summary

    class SummaryLogger(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.writer = EventFileWriter(logdir)
            self.sub_model = keras.Model(model.inputs, model.get_layer(layer_name).output)
            self.log()

        def on_train_batch_end(self, batch, logs=None):
            if int(model.optimizer.iterations) % UPDATE_FREQ == 0:
                self.log()

        def on_train_end(self, logs=None):
            self.writer.close()

        def log(self):
            step = int(model.optimizer.iterations)
            values = np.asarray(self.sub_model(probe))
            pb = summary.saturation_pb(layer_name, values, activation=activation, layer_index=0)
            self.writer.add_event(event_pb2.Event(step=step, wall_time=time.time(), summary=pb))

    return SummaryLogger()


def train_all(logdir, names=None):
    """Trains the named cases (all by default); returns {name: {"score", "seconds"}}."""
    data = cases_lib.datasets()
    results = {}
    for case in cases_lib.CASES:
        if names and case.name not in names:
            continue
        value, seconds = train(case, logdir, data)
        results[case.name] = {"score": value, "seconds": seconds}
    return results


def diagnose_all(logdir):
    from tensorboard_plugin_saturation import report

    return report.diagnose_logdir(logdir)["runs"]


def verdict(diagnosis):
    """The verdict column: "healthy", or "cause: layer, layer" per finding, joined by "; "."""
    if not diagnosis["findings"]:
        return "healthy"
    return "; ".join("%s: %s" % (f["cause"], ", ".join(f["layers"])) for f in diagnosis["findings"])


def table_row(case, scores, diagnosis, evidence="?"):
    """One markdown row of the calibration table in docs/diagnosis.md."""
    score = "%.3f" % scores[case.name]["score"]
    if case.twin:
        score += " (twin %.3f)" % scores[case.twin]["score"]
    elif case.floor is not None:
        score += " (floor %g)" % case.floor
    return "| %s | %s | %s | %s | %s | %s |" % (
        case.name, case.architecture, case.truth or "healthy", score, verdict(diagnosis), evidence)


def main(argv):
    logdir, names = argv[0], argv[1:]
    results = train_all(logdir, names)
    path = os.path.join(logdir, "scores.json")
    known = json.load(open(path)) if os.path.exists(path) else {}
    known.update(results)
    json.dump(known, open(path, "w"), indent=1)
    runs = diagnose_all(logdir)
    for case in cases_lib.CASES:
        if case.name in known:
            print(table_row(case, known, runs.get(case.name, {"findings": []})))
    for name, result in known.items():
        d = runs.get(name, {"findings": []})
        print("%-28s score %7.3f  %5.1fs  %s" % (
            name, result["score"], result["seconds"], [(f["cause"], f["layers"]) for f in d["findings"]]))
        for f in d["findings"]:
            print("      ", f["evidence"][:400])


if __name__ == "__main__":
    main(sys.argv[1:])
