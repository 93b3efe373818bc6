"""The TensorFlow probe's two functions: the plain statistics ops first, the fused pass once it pays.

Both compute the same numbers (the parity tests pin each implementation to the
numpy reference); these tests check the probe's choice between them: when it
moves to the fused pass, that it moves at once when a plain result does not
stand, and that the logs are the same either way.
"""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from tensorboard.util import tensor_util  # noqa: E402

from tensorboard_plugin_saturation import _probe  # noqa: E402
from tensorboard_plugin_saturation import _probe_tf  # noqa: E402
from tensorboard_plugin_saturation import _targets  # noqa: E402
from tensorboard_plugin_saturation import metadata  # noqa: E402

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TensorFlow probe")

_FLOAT_FIELDS = [metadata.STATS_FIELDS.index(name) for name in ("meanDerivative", "phi", "mean", "std")]


def _model():
    """A conv layer and dense relu, tanh and sigmoid layers: every activation of the fused pass."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(16, activation="tanh", name="tanh")(h)
    outputs = keras.layers.Dense(3, activation="sigmoid", name="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def _probe_of(model, probe_data):
    return _probe.Probe(model, _targets.find_targets(model), probe_data, 0.05)


def _values(summary):
    return {value.tag: tensor_util.make_ndarray(value.tensor) for value in summary.value}


def _traces(probe):
    return {name: f.experimental_get_tracing_count() for name, f in probe.compiled.functions.items()}


def _assert_same_logs(got, want):
    """Counts, histograms, unit shares and signals equal; float statistics within 1e-12."""
    assert got.keys() == want.keys()
    for tag, array in want.items():
        if tag.endswith(metadata.UNITS_SUFFIX) or tag.endswith(metadata.SIGNALS_SUFFIX):
            np.testing.assert_array_equal(got[tag], array, err_msg=tag)
            continue
        exact = np.ones(len(array), bool)
        exact[_FLOAT_FIELDS] = False
        np.testing.assert_array_equal(got[tag][exact], array[exact], err_msg=tag)
        np.testing.assert_allclose(got[tag][~exact], array[~exact], rtol=1e-12, atol=0, err_msg=tag)


def _train_once(model, x):
    model.train_on_batch(x, np.zeros((len(x), 3), np.float32))


def test_a_short_run_stays_on_the_plain_ops_and_logs_what_the_fused_pass_logs():
    model = _model()
    x = np.random.default_rng(0).standard_normal((32, 8, 8, 1)).astype(np.float32)
    plain, fused = _probe_of(model, x), _probe_of(model, x)
    fused.compiled.implementation = "fused"
    for _ in range(3):
        _assert_same_logs(_values(plain.summary()), _values(fused.summary()))
        _train_once(model, x)
    assert plain.compiled.implementation == "plain"
    assert _traces(plain) == {"plain": 1, "fused": 0}
    assert _traces(fused) == {"plain": 0, "fused": 1}
    assert plain.compiled.switch_seconds == 3 * _probe_tf.FUSED_COMPILE_SECONDS  # relu, tanh, sigmoid
    assert 0 < plain.compiled.plain_seconds < plain.compiled.switch_seconds  # the first call is not counted


def test_the_probe_moves_to_the_fused_pass_once_the_plain_logs_have_cost_its_compilation():
    model = _model()
    x = np.random.default_rng(1).standard_normal((32, 8, 8, 1)).astype(np.float32)
    probe, reference = _probe_of(model, x), _probe_of(model, x)
    probe.compiled.switch_seconds = 0.0  # any time spent in the plain ops pays for the compilation
    reference.compiled.implementation = "fused"
    _assert_same_logs(_values(probe.summary()), _values(reference.summary()))
    assert probe.compiled.implementation == "fused"
    _train_once(model, x)
    second = _values(probe.summary())
    _assert_same_logs(second, _values(reference.summary()))
    assert _traces(probe) == {"plain": 1, "fused": 1}
    update_ratio = metadata.SIGNALS_FIELDS.index("updateRatio")
    assert second["tanh" + metadata.SIGNALS_SUFFIX][update_ratio] > 0  # the kernel snapshot carried over


def test_a_plain_result_that_does_not_stand_is_recomputed_by_the_fused_graph_which_the_probe_then_keeps():
    model = _model()
    model.get_layer("sigmoid").bias.assign([np.nan, 0.0, 0.0])  # unit 0 of the output is NaN
    x = np.random.default_rng(2).standard_normal((32, 8, 8, 1)).astype(np.float32)
    probe, reference = _probe_of(model, x), _probe_of(model, x)
    reference.compiled.implementation = "fused"
    logged = _values(probe.summary())
    _assert_same_logs(logged, _values(reference.summary()))
    nonfinite = metadata.STATS_FIELDS.index("nonfinite")
    assert [logged[tag][nonfinite] for tag in ("conv", "tanh", "sigmoid")] == [0, 0, 32]
    assert probe.compiled.implementation == "fused"
    probe.summary()
    assert _traces(probe) == {"plain": 1, "fused": 1}


def test_without_xla_on_the_cpu_the_probe_never_moves(monkeypatch):
    monkeypatch.setattr(_probe_tf._tf_statistics, "xla_on_cpu", lambda: False)
    probe = _probe_of(_model(), np.zeros((4, 8, 8, 1), np.float32))
    assert probe.compiled.switch_seconds == float("inf")


def test_the_unmasked_input_scale_says_when_it_differs_from_the_masked_one():
    std, max_abs, finite = _probe_tf._unmasked_scale(tf.constant([[1.0, 3.0], [1.0, 3.0]]))
    assert (std.numpy(), max_abs.numpy(), bool(finite)) == (1.0, 3.0, True)
    *_, finite = _probe_tf._unmasked_scale(tf.constant([1.0, np.nan]))
    assert not bool(finite)
    assert [float(v) for v in _probe_tf.input_scale(tf.constant([1.0, np.nan, 3.0]))] == [1.0, 3.0]
