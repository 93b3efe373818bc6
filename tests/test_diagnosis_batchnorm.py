"""The probe's BatchNormalization signal: how much of the moving statistics is still initial."""

import numpy as np
import pytest

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import report

keras = pytest.importorskip("keras")


def signals_of(logdir, tag):
    """{step: {field: value}} of the layer's signals, read back with TensorBoard's loading code."""
    reader = report.open_logdir(logdir)
    [layer] = [l for l in reader.layers(report.CONTEXT, report.EXPERIMENT_ID)["."] if l.tag == tag]
    series = reader.series(report.CONTEXT, report.EXPERIMENT_ID, ".", layer.signals_tag, layer.stamp,
                           layer.signals_layout.width)
    return {int(s): layer.signals_layout.columns(v) for s, v in zip(series.steps, series.values)}


@pytest.mark.parametrize("momentum, batchnorm", [(0.9, True), (None, False)])
def test_normalization_initial_share_is_momentum_to_the_number_of_steps(tmp_path, momentum, batchnorm):
    from tensorboard_plugin_saturation import SaturationCallback

    keras.utils.set_random_seed(0)
    layers = [keras.Input((4,)), keras.layers.Dense(8, use_bias=False, name="linear")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization(momentum=momentum, name="bn"))
    layers += [keras.layers.Activation("sigmoid", name="hidden"), keras.layers.Dense(1, name="out")]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    callback = SaturationCallback(str(tmp_path), x[:16], update_freq=2)
    model.fit(x, x[:, :1], epochs=1, batch_size=10, verbose=0, callbacks=[callback])

    shares = {step: float(row["normalizationInitial"]) for step, row in signals_of(str(tmp_path), "hidden").items()}
    assert sorted(shares) == [0, 2, 4]
    expected = {step: momentum ** step if batchnorm else 0.0 for step in (0, 2, 4)}
    assert shares == pytest.approx(expected, rel=1e-12)
    assert "normalizationInitial" in metadata.SIGNALS_FIELDS
