"""Shared helpers of the real-model tests: fit a published keras-io example with the callback, read back what it logged."""

import warnings

import keras

import tensorboard_plugin_saturation as sat
from tests import test_keras_callback as base

LSTM_GATES = ("input", "forget", "output", "candidate", "cell")


def lstm_tags(layer):
    return [layer + "/" + gate for gate in LSTM_GATES]


def fresh():
    """Auto-generated layer names (and so tags) restart from the first, as in a new script."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(1337)


def fit_logged(model, x, y, log_dir, probe_data, epochs=2, **fit_kwargs):
    """Fits with a SaturationCallback; returns (SaturationCallback warnings, {tag: layer content at step 0})."""
    callback = sat.SaturationCallback(str(log_dir), probe_data, update_freq=fit_kwargs.pop("update_freq", "epoch"))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=epochs, verbose=0, callbacks=[callback], **fit_kwargs)
    contents = {tag: content for step, tag, _, content in base.read_events(str(log_dir))
                if step == 0 and content.get("kind") == "layer"}
    return [str(w.message) for w in base.saturation_warnings(record)], contents


def outputs(contents):
    return sorted(tag for tag, content in contents.items() if content.get("output"))
