"""Tests of `SaturationCallback`: fits of tiny models read back from disk, and unit tests of its parts."""

import json
import math
import os
import warnings

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from tensorboard import context as tb_context  # noqa: E402
from tensorboard.backend.event_processing import data_provider  # noqa: E402
from tensorboard.backend.event_processing import event_file_loader  # noqa: E402
from tensorboard.backend.event_processing import plugin_event_multiplexer  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

import tensorboard_plugin_saturation as sat  # noqa: E402
from tensorboard_plugin_saturation import _ops_signals  # noqa: E402
from tensorboard_plugin_saturation import _probe  # noqa: E402
from tensorboard_plugin_saturation import _probe_tf  # noqa: E402
from tensorboard_plugin_saturation import _targets  # noqa: E402
from tensorboard_plugin_saturation import keras_callback as keras_lib  # noqa: E402
from tensorboard_plugin_saturation import activations as activations_lib  # noqa: E402
from tensorboard_plugin_saturation import metadata  # noqa: E402
from tensorboard_plugin_saturation import reader as reader_lib  # noqa: E402
from tensorboard_plugin_saturation import numpy_statistics  # noqa: E402
from tests import logs  # noqa: E402

SIGNAL = {name: i for i, name in enumerate(metadata.SIGNALS_FIELDS)}


# -- helpers ------------------------------------------------------------------


def event_files(log_dir):
    return sorted(f for f in os.listdir(log_dir) if ".tfevents." in f)


def read_events(log_dir):
    """Every summary value on disk as a list of (step, tag, ndarray, plugin content dict)."""
    values = []
    for name in event_files(log_dir):
        for event in event_file_loader.EventFileLoader(os.path.join(log_dir, name)).Load():
            for value in event.summary.value:
                content = json.loads(value.metadata.plugin_data.content or b"{}")
                values.append((event.step, value.tag, tensor_util.make_ndarray(value.tensor), content))
    return values


def tag_steps(log_dir):
    """The sorted list of (tag, step) pairs on disk, duplicates kept."""
    return sorted((tag, step) for step, tag, _, _ in read_events(log_dir))


def series(log_dir, tag):
    """{step: value} of one tag."""
    return {step: array for step, t, array, _ in read_events(log_dir) if t == tag}


expected = logs.expected_tag_steps  # the tests of real models use it as `base.expected`


def saturation_warnings(record):
    return [w for w in record if "SaturationCallback" in str(w.message)]


def mlp(seed=0, **compile_kwargs):
    """3 inputs -> dense (sigmoid) -> dense_tanh (tanh) -> relu (Activation) -> out (linear)."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((3,), name="x")
    h = keras.layers.Dense(5, activation="sigmoid", name="dense")(inputs)
    h = keras.layers.Dense(4, activation="tanh", name="dense_tanh")(h)
    h = keras.layers.Activation("relu", name="relu")(h)
    outputs = keras.layers.Dense(2, name="out")(h)
    model = keras.Model(inputs, outputs)
    compile_kwargs.setdefault("optimizer", keras.optimizers.SGD(0.01))
    model.compile(loss="mse", **compile_kwargs)
    return model


def data(samples=6):
    x = np.linspace(-2.0, 2.0, samples * 3, dtype=np.float32).reshape(samples, 3)
    return x, np.ones((samples, 2), np.float32)


MLP_TAGS = ("dense", "dense_tanh", "relu")


# -- one end-to-end run, shared by several tests --------------------------------


@pytest.fixture(scope="module")
def epoch_run(tmp_path_factory):
    """2 epochs of 3 batches, logged every epoch; also the step-0 activations."""
    log_dir = str(tmp_path_factory.mktemp("epoch_run") / "run")
    model = mlp()
    x, y = data()
    probe = x[:4]
    extract = keras.Model(
        model.input,
        [model.get_layer(n).input for n in MLP_TAGS] + [model.get_layer(n).output for n in MLP_TAGS],
    )
    arrays = [np.asarray(a) for a in extract(probe)]
    kernels = {n: model.get_layer(n).kernel.numpy() for n in ("dense", "dense_tanh")}
    model.fit(x, y, batch_size=2, epochs=2, verbose=0,
              callbacks=[sat.SaturationCallback(log_dir, probe)])
    return log_dir, dict(zip(MLP_TAGS, arrays[:3])), dict(zip(MLP_TAGS, arrays[3:])), kernels


def test_epoch_run_logs_each_layer_at_step_0_and_after_each_epoch(epoch_run):
    log_dir = epoch_run[0]
    assert tag_steps(log_dir) == expected(MLP_TAGS, [0, 3, 6])


def test_epoch_run_leaves_exactly_one_event_file(epoch_run):
    log_dir = epoch_run[0]
    assert os.listdir(log_dir) == event_files(log_dir)
    assert len(event_files(log_dir)) == 1


def test_step_0_statistics_equal_the_numpy_reference(epoch_run):
    log_dir, _, outputs, _ = epoch_run
    activations = {"dense": "sigmoid", "dense_tanh": "tanh", "relu": "relu"}
    for tag, activation in activations.items():
        reference = numpy_statistics.compute(outputs[tag], activation)
        logged = series(log_dir, tag)[0]
        fields = len(metadata.STATS_FIELDS)
        np.testing.assert_array_equal(logged[fields:], reference.layer[fields:])  # histogram
        np.testing.assert_allclose(logged[:fields], reference.layer[:fields], rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(series(log_dir, tag + metadata.UNITS_SUFFIX)[0], reference.units)


def test_new_activations_are_logged_with_their_records_and_equal_the_numpy_reference(tmp_path):
    """relu6, ReLU(max_value=0.5), ELU(alpha=0.5), selu, hard_sigmoid, softsign, hard_tanh: fit 2 epochs."""
    keras.utils.set_random_seed(3)
    inputs = keras.Input((3,))
    h = keras.layers.Dense(6, name="d6")(inputs)
    h = keras.layers.ReLU(max_value=6.0, name="r6")(h)
    h = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomNormal(stddev=2.0), name="dhalf")(h)
    h = keras.layers.ReLU(max_value=0.5, name="rhalf")(h)
    h = keras.layers.Dense(6, kernel_initializer=keras.initializers.RandomNormal(stddev=3.0), name="de")(h)
    h = keras.layers.ELU(alpha=0.5, name="elu")(h)
    h = keras.layers.Dense(6, activation="selu", name="selu")(h)
    h = keras.layers.Dense(6, activation="hard_sigmoid", name="hard")(h)
    h = keras.layers.Dense(6, activation="softsign", name="soft")(h)
    h = keras.layers.Dense(6, activation="hard_tanh", name="htanh")(h)
    model = keras.Model(inputs, keras.layers.Dense(1, name="out")(h))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    x = np.random.default_rng(0).normal(0, 3, (8, 3)).astype(np.float32)
    names = {"r6": "relu6", "rhalf": "relu(max_value=0.5)", "elu": "elu(alpha=0.5)", "selu": "selu",
             "hard": "hard_sigmoid", "soft": "softsign", "htanh": "hard_tanh"}
    outputs = keras.Model(inputs, [model.get_layer(n).output for n in names])(x[:4])
    log_dir = str(tmp_path / "run")
    model.fit(x, np.zeros((8, 1)), batch_size=4, epochs=2, verbose=0,
              callbacks=[sat.SaturationCallback(log_dir, x[:4])])
    contents = {tag: content for step, tag, _, content in read_events(log_dir) if step == 0}
    fields = len(metadata.STATS_FIELDS)
    for (tag, name), output in zip(names.items(), outputs):
        assert contents[tag]["activation"] == name
        reference = numpy_statistics.compute(np.asarray(output), name)
        logged = series(log_dir, tag)
        assert len(logged) == 3  # step 0 and after each epoch
        np.testing.assert_array_equal(logged[0][fields:], reference.layer[fields:], err_msg=tag)
        np.testing.assert_allclose(logged[0][:fields], reference.layer[:fields], rtol=1e-6, atol=1e-9, err_msg=tag)
        np.testing.assert_array_equal(series(log_dir, tag + metadata.UNITS_SUFFIX)[0], reference.units)
        assert numpy_statistics.field(logged[0], "outOfRange") == 0, tag


def test_step_0_signals_hold_input_scale_kernel_and_learning_rate(epoch_run):
    log_dir, inputs, _, kernels = epoch_run
    dense = series(log_dir, "dense/signals")[0]
    np.testing.assert_allclose(dense[SIGNAL["inputStd"]], np.std(inputs["dense"]), rtol=1e-6)
    assert dense[SIGNAL["inputMaxAbs"]] == 2.0
    np.testing.assert_allclose(dense[SIGNAL["kernelStd"]], np.std(kernels["dense"]), rtol=1e-6)
    assert dense[SIGNAL["glorotStd"]] == math.sqrt(2.0 / (3 + 5))
    assert math.isnan(dense[SIGNAL["updateRatio"]])
    assert dense[SIGNAL["learningRate"]] == float(np.float32(0.01))
    relu = series(log_dir, "relu/signals")[0]
    np.testing.assert_allclose(relu[SIGNAL["inputStd"]], np.std(inputs["relu"]), rtol=1e-6)
    assert np.isnan(relu[[SIGNAL["kernelStd"], SIGNAL["glorotStd"], SIGNAL["updateRatio"]]]).all()


def test_update_ratio_is_finite_and_positive_after_training(epoch_run):
    ratio = series(epoch_run[0], "dense_tanh/signals")[3][SIGNAL["updateRatio"]]
    assert 0.0 < ratio < 1.0


def test_metadata_matches_the_summary_api_and_orders_layers(epoch_run):
    contents = {tag: content for step, tag, _, content in read_events(epoch_run[0]) if step == 0}
    assert contents["dense"]["order"] == 0
    assert contents["dense_tanh"]["order"] == 1
    assert contents["relu"]["order"] == 2
    pb = sat.summary.saturation_pb("dense_tanh", np.zeros((4, 4)), activation="tanh", layer_index=1)
    # The callback adds who wrote the series (summary.saturation_pb leaves it unknown).
    for value in pb.value:
        written = json.loads(value.metadata.plugin_data.content)
        if written["kind"] == "layer":
            written["framework"] = "keras"
        assert contents[value.tag] == written
    assert contents["relu/signals"] == dict(metadata.signals_content("relu"), version=metadata.CONTENT_VERSION)


def test_plugin_reader_joins_the_three_series_in_network_order(epoch_run):
    log_dir = os.path.dirname(epoch_run[0])
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"saturation": 0})
    multiplexer.AddRunsFromDirectory(log_dir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, log_dir)
    layers = reader_lib.Reader(provider).layers(tb_context.RequestContext(), "")["run"]
    assert [(l.tag, l.activation, l.units, l.units_tag, l.signals_tag) for l in layers] == [
        ("dense", "sigmoid", 5, "dense/units", "dense/signals"),
        ("dense_tanh", "tanh", 4, "dense_tanh/units", "dense_tanh/signals"),
        ("relu", "relu", 4, "relu/units", "relu/signals"),
    ]
    assert layers[0].signals_layout.fields == metadata.SIGNALS_FIELDS


# -- update frequency -----------------------------------------------------------


@pytest.mark.parametrize(
    "steps_per_execution, logged",
    [(1, [0, 2, 4, 6]), (3, [0, 3, 6])],
    ids=["every_batch_end", "steps_per_execution_3"],
)
def test_int_update_freq_logs_when_the_iteration_count_reaches_a_multiple(tmp_path, steps_per_execution, logged):
    model = mlp(steps_per_execution=steps_per_execution)
    x, y = data()
    cb = sat.SaturationCallback(str(tmp_path), x[:2], update_freq=2, layers=["dense"])
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[cb])
    assert tag_steps(str(tmp_path)) == expected(["dense"], logged)


def test_learning_rate_signal_evaluates_the_schedule_at_each_step(tmp_path):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    model = mlp(optimizer=keras.optimizers.SGD(schedule))
    x, y = data()
    cb = sat.SaturationCallback(str(tmp_path), x[:2], update_freq=1, layers=["dense"])
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    rates = {s: v[SIGNAL["learningRate"]] for s, v in series(str(tmp_path), "dense/signals").items()}
    assert rates == {s: float(np.float32(0.1)) * 0.5**s for s in range(4)}


def test_a_second_fit_continues_the_run_without_duplicate_steps(tmp_path):
    model = mlp()
    x, y = data()
    cb = sat.SaturationCallback(str(tmp_path), x[:2], layers=["dense"])
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[cb])
    assert tag_steps(str(tmp_path)) == expected(["dense"], [0, 3, 6])
    assert len(event_files(str(tmp_path))) == 2
    traces = {name: f.experimental_get_tracing_count() for name, f in cb._probe.compiled.functions.items()}
    assert traces == {"plain": 1, "fused": 0}  # a short fit never compiles the fused pass


# -- hooks driven without fit -----------------------------------------------------


def test_update_ratio_is_the_relative_kernel_change_since_the_last_log(tmp_path):
    """Hand-checked: W0 = 2 everywhere; W1 = W0 + diag(3, 4): |dW| = 5, |W0| = 4."""
    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(2, activation="sigmoid", use_bias=False,
                           kernel_initializer=keras.initializers.Constant(2.0), name="d"),
    ])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    cb = sat.SaturationCallback(str(tmp_path), np.ones((3, 2), np.float32))
    hooks = keras.callbacks.CallbackList([cb], model=model)
    kernel = model.get_layer("d").kernel
    hooks.on_train_begin()
    for step, new_kernel in ((1, [[5.0, 2.0], [2.0, 6.0]]), (2, [[5.0, 2.0], [2.0, 6.0]])):
        kernel.assign(np.array(new_kernel, np.float32))
        model.optimizer.iterations.assign(step)
        hooks.on_epoch_end(step - 1)
    hooks.on_train_end()
    signals = series(str(tmp_path), "d/signals")
    assert math.isnan(signals[0][SIGNAL["updateRatio"]])
    assert signals[1][SIGNAL["updateRatio"]] == 1.25
    assert signals[2][SIGNAL["updateRatio"]] == 0.0
    assert signals[0][SIGNAL["kernelStd"]] == 0.0
    assert signals[1][SIGNAL["kernelStd"]] == math.sqrt(12.75 / 4)
    assert signals[1][SIGNAL["glorotStd"]] == math.sqrt(2.0 / 4)
    assert signals[1][SIGNAL["learningRate"]] == 0.5


def test_a_name_that_matches_no_layer_raises_from_on_train_begin(tmp_path):
    cb = sat.SaturationCallback(str(tmp_path), np.ones((2, 3)), layers=["dense", "nope"])
    cb.set_model(mlp())
    with pytest.raises(ValueError, match="no layer named 'nope' in model"):
        cb.on_train_begin()
    assert os.listdir(str(tmp_path)) == []


def test_a_given_layer_without_supported_activation_raises(tmp_path):
    cb = sat.SaturationCallback(str(tmp_path), np.ones((2, 3)), layers=["out"])
    cb.set_model(mlp())
    with pytest.raises(ValueError, match=r"layer 'out' \(Dense\) has no supported activation"):
        cb.on_train_begin()


# -- failures never stop training ------------------------------------------------


def test_an_unwritable_log_dir_warns_once_and_training_continues(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    model = mlp()
    x, y = data()
    cb = sat.SaturationCallback(str(blocker / "run"), x[:2], update_freq=1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[cb])
    assert len(history.history["loss"]) == 2
    assert model.optimizer.iterations.numpy() == 6
    found = saturation_warnings(record)
    assert len(found) == 1
    assert "logging to" in str(found[0].message) and "training continues" in str(found[0].message)
    assert os.listdir(str(tmp_path)) == ["file"]


def test_a_probe_the_model_cannot_take_warns_once_and_leaves_no_event_file(tmp_path):
    model = mlp()
    x, y = data()
    cb = sat.SaturationCallback(str(tmp_path), np.ones((2, 7), np.float32), update_freq=1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[cb])
    assert len(history.history["loss"]) == 2
    assert len(saturation_warnings(record)) == 1
    assert event_files(str(tmp_path)) == []


def test_a_model_without_supported_activation_warns_once_and_logs_nothing(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax", name="scores")])
    model.compile("sgd", "mse")
    x, y = data()
    log_dir = tmp_path / "run"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=2, verbose=0, callbacks=[sat.SaturationCallback(str(log_dir), x)])
    found = saturation_warnings(record)
    assert len(found) == 1
    supported = ", ".join(activations_lib.ACTIVATIONS)
    assert str(found[0].message) == (
        "SaturationCallback: model '%s' has no layer whose activation is supported by the plugin; nothing is "
        "logged to %r. 1 layer(s) not logged: scores (activation softmax is not supported; supported: %s)."
        % (model.name, str(log_dir), supported))
    assert not log_dir.exists()


# -- argument validation ------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"log_dir": None}, TypeError, r"log_dir must be a path .* Received: log_dir=None"),
        ({"log_dir": ""}, ValueError, r"Received: log_dir=''"),
        ({"probe_data": np.zeros((0, 3))}, ValueError, r"at least one sample .* got shape \(0, 3\)"),
        ({"probe_data": np.float32(1.0)}, ValueError, r"at least one sample .* got shape \(\)"),
        ({"probe_data": np.array([1 + 2j])}, TypeError, r"numbers, booleans or strings; got dtype complex128"),
        ({"probe_data": []}, ValueError, r"Received: probe_data=\[\]"),
        ({"probe_data": [np.zeros((2, 3)), np.zeros((3, 3))]}, ValueError, r"same number of samples; got \[2, 3\]"),
        ({"update_freq": -1}, ValueError, r"Received: update_freq=-1"),
        ({"update_freq": 0}, ValueError, r"Received: update_freq=0"),
        ({"update_freq": "steps"}, ValueError, r"Received: update_freq='steps'"),
        ({"update_freq": 1.5}, TypeError, r"Received: update_freq=1.5"),
        ({"update_freq": True}, TypeError, r"Received: update_freq=True"),
        ({"layers": []}, ValueError, r"must not be empty .* Received: layers=\[\]"),
        ({"layers": [3]}, TypeError, r"Received: layers=\[3\]"),
        ({"layers": {"dense"}}, TypeError, r"Received: layers=\{'dense'\}"),
        ({"layers": [""]}, ValueError, r"Received: layers=\[''\]"),
        ({"eps": 0.7}, ValueError, r"eps must be in \(0, 0.5\); got 0.7. Received: eps=0.7"),
        ({"eps": "small"}, TypeError, r"Received: eps='small'"),
    ],
)
def test_bad_arguments_raise_at_construction_echoing_the_value(kwargs, error, match):
    arguments = {"log_dir": "logs", "probe_data": np.ones((2, 3))}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        sat.SaturationCallback(arguments.pop("log_dir"), arguments.pop("probe_data"), **arguments)


def test_accepted_arguments_are_normalized():
    cb = sat.SaturationCallback(
        os.path.join("logs", "a"), {"x": np.ones((2, 3))}, update_freq="batch", layers="dense", eps=0.05
    )
    assert (cb.log_dir, cb.update_freq, cb.layers, cb.eps) == (os.path.join("logs", "a"), 1, ["dense"], 0.05)


# -- layer discovery ------------------------------------------------------------------


def discovered(model, layers=None):
    return [(t.tag, t.activation.name, t.index) for t in _targets.find_targets(model, layers)]


def test_discovery_in_a_sequential_model():
    model = keras.Sequential([
        keras.Input((6, 6, 2)),
        keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        keras.layers.ReLU(max_value=6.0, name="relu6"),
        keras.layers.LeakyReLU(name="leaky"),
        keras.layers.ReLU(max_value=2.0, negative_slope=0.1, name="leaky_clipped"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(3, activation=tf.nn.relu, name="tf_relu"),
        keras.layers.ReLU(name="plain_relu"),
        keras.layers.ReLU(max_value=0.5, name="relu_half"),
        keras.layers.ELU(alpha=0.5, name="elu_half"),
        keras.layers.Dense(3, activation="hard_sigmoid", name="hard"),
        keras.layers.Activation("selu", name="selu"),
        keras.layers.Dense(3, activation="softmax", name="softmax"),
    ])
    # ReLU(max_value=6.0) is relu6 (saturates at both ends), other maxima are parametrised records.
    assert discovered(model) == [
        ("conv", "relu", 0), ("relu6", "relu6", 1), ("tf_relu", "relu", 2), ("plain_relu", "relu", 3),
        ("relu_half", "relu(max_value=0.5)", 4), ("elu_half", "elu(alpha=0.5)", 5), ("hard", "hard_sigmoid", 6),
        ("selu", "selu", 7),
    ]


def test_discovery_in_a_functional_model_gives_each_recurrent_gate_a_target():
    inputs = keras.Input((4, 3))
    h = keras.layers.LSTM(5, name="lstm", return_sequences=True)(inputs)
    h = keras.layers.Dense(2, activation="tanh", name="t")(h)
    h = keras.layers.Activation("sigmoid", name="s")(h)
    model = keras.Model(inputs, h)
    assert discovered(model) == [
        ("lstm/input", "sigmoid", 0), ("lstm/forget", "sigmoid", 1), ("lstm/output", "sigmoid", 2),
        ("lstm/candidate", "tanh", 3), ("lstm/cell", "tanh", 4), ("t", "tanh", 5), ("s", "sigmoid", 6),
    ]


class SubclassedNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(4, activation="tanh", name="hidden")
        self.gate = keras.layers.Activation(keras.activations.sigmoid, name="gate")
        self.head = keras.layers.Dense(1, name="head")

    def call(self, x):
        return self.head(self.gate(self.hidden(x)))


def test_discovery_in_a_subclassed_model():
    assert discovered(SubclassedNet()) == [("hidden", "tanh", 0), ("gate", "sigmoid", 1)]


def _nested():
    inputs = keras.Input((3,))
    h = keras.layers.Dense(4, activation="relu", name="first")(inputs)
    h = keras.Sequential([keras.layers.Dense(4, activation="tanh", name="d")], name="a")(h)
    h = keras.Sequential([keras.layers.Dense(4, activation="tanh", name="d")], name="b")(h)
    h = keras.layers.Dense(1, activation="sigmoid", name="last")(h)
    return keras.Model(inputs, h)


def test_discovery_recurses_into_nested_models_and_disambiguates_names():
    assert discovered(_nested()) == [
        ("first", "relu", 0), ("a/d", "tanh", 1), ("b/d", "tanh", 2), ("last", "sigmoid", 3)
    ]


class Block(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(3, activation="tanh", name="inner")

    def call(self, x):
        return self.inner(x)


def test_layers_inside_a_custom_layer_are_found_in_place():
    block = Block(name="block")
    model = keras.Sequential([keras.Input((3,)), block, keras.layers.Dense(2, activation="relu", name="top")])
    assert discovered(model) == [("inner", "tanh", 0), ("top", "relu", 1)]
    assert discovered(model, ["top", block.inner]) == [("inner", "tanh", 0), ("top", "relu", 1)]


def test_given_layers_are_ordered_like_the_network():
    model = _nested()
    assert discovered(model, ["last", model.get_layer("first")]) == [("first", "relu", 0), ("last", "sigmoid", 1)]


def test_nested_and_subclassed_models_log_through_fit(tmp_path):
    model = _nested()
    model.compile("sgd", "mse")
    x = np.ones((4, 3), np.float32)
    model.fit(x, np.ones((4, 1)), batch_size=2, epochs=1, verbose=0,
              callbacks=[sat.SaturationCallback(str(tmp_path / "nested"), x)])
    assert tag_steps(str(tmp_path / "nested")) == expected(["first", "a/d", "b/d", "last"], [0, 2])
    model = SubclassedNet()
    model.compile("sgd", "mse")
    model.fit(x, np.ones((4, 1)), batch_size=2, epochs=1, verbose=0,
              callbacks=[sat.SaturationCallback(str(tmp_path / "sub"), x)])
    assert tag_steps(str(tmp_path / "sub")) == expected(["hidden", "gate"], [0, 2])


@pytest.mark.parametrize(
    "array",
    [np.array([0.5, np.nan, -np.inf, 1e300]), np.array([0, 1, 255], np.uint8), np.zeros(0)],
    ids=["float64", "uint8", "empty"],
)
def test_tensor_proto_equals_make_tensor_proto(array):
    assert _probe.tensor_proto(array) == tensor_util.make_tensor_proto(array, dtype=array.dtype)


@pytest.mark.parametrize("array", [np.array([2.0]), np.array([7], np.uint8)], ids=["float64", "uint8"])
def test_tensor_proto_of_one_value_decodes_to_the_same_vector(array):
    decoded = tensor_util.make_ndarray(_probe.tensor_proto(array))
    assert decoded.dtype == array.dtype and decoded.tolist() == array.tolist()


@pytest.mark.parametrize(
    "values, std, max_abs",
    [
        ([[1.0, 3.0], [0.0, -2.0]], np.std([1.0, 3.0, 0.0, -2.0]), 3.0),
        ([[1.0, np.nan, 3.0], [np.inf, 0.0, -2.0]], np.std([1.0, 3.0, 0.0, -2.0]), 3.0),
        ([[np.nan, -np.inf]], np.nan, np.nan),
    ],
    ids=["finite", "non_finite_left_out", "nothing_finite"],
)
@pytest.mark.parametrize("input_scale", [_probe_tf.input_scale, _ops_signals.input_scale], ids=["tf", "keras_ops"])
def test_input_scale_is_the_std_and_max_abs_of_the_finite_values(values, std, max_abs, input_scale):
    result = [float(v) for v in input_scale(tf.constant(values, tf.float32))]
    np.testing.assert_allclose(result, [std, max_abs], rtol=1e-7)


def test_glorot_std_uses_the_receptive_field_for_conv_kernels():
    assert _targets.glorot_std((64, 256)) == math.sqrt(2.0 / 320)
    assert _targets.glorot_std((3, 3, 2, 4)) == math.sqrt(2.0 / (18 + 36))
    assert math.isnan(_targets.glorot_std((4,)))


# -- multi-worker: who writes -----------------------------------------------------------


@pytest.mark.parametrize(
    "cluster, task_type, task_id, chief",
    [
        ({}, None, None, True),
        ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, "chief", 0, True),
        ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, "worker", 0, False),
        ({"worker": ["b:1", "c:1"]}, "worker", 0, True),
        ({"worker": ["b:1", "c:1"]}, "worker", 1, False),
        ({"worker": ["b:1"], "ps": ["p:1"]}, "ps", 0, False),
        ({"worker": ["b:1"], "evaluator": ["e:1"]}, "evaluator", 0, False),
    ],
)
def test_only_the_chief_writes(cluster, task_type, task_id, chief):
    assert keras_lib.is_chief(cluster, task_type, task_id) is chief


def test_the_task_comes_from_the_strategy_cluster_resolver():
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec({"worker": ["b:1", "c:1"]}), task_type="worker", task_id=1
    )

    class Strategy:
        cluster_resolver = resolver

    assert keras_lib._task_of(Strategy()) == ({"worker": ["b:1", "c:1"]}, "worker", 1)


def test_the_task_comes_from_tf_config_without_a_resolver(monkeypatch):
    config = {"cluster": {"worker": ["b:1", "c:1"]}, "task": {"type": "worker", "index": 1}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert keras_lib._task_of(None) == ({"worker": ["b:1", "c:1"]}, "worker", 1)
    monkeypatch.setenv("TF_CONFIG", "not json")
    assert keras_lib._task_of(None) == ({}, None, None)


def test_a_non_chief_worker_writes_nothing(tmp_path, monkeypatch):
    config = {"cluster": {"worker": ["b:1", "c:1"]}, "task": {"type": "worker", "index": 1}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    model = mlp()
    x, y = data()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=2, epochs=1, verbose=0,
                  callbacks=[sat.SaturationCallback(str(tmp_path / "run"), x, update_freq=1)])
    assert saturation_warnings(record) == []
    assert not (tmp_path / "run").exists()
