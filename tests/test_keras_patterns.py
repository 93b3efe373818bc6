"""`SaturationCallback` on the shapes real Keras models take (issue 11): each test fits a tiny model of one
pattern for 2 epochs and reads back the exact tags, steps and metadata from disk."""

import warnings

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tensorboard_plugin_saturation as sat  # noqa: E402
from tensorboard_plugin_saturation import activations  # noqa: E402
from tensorboard_plugin_saturation import numpy_statistics  # noqa: E402
from tests import test_keras_callback as base  # noqa: E402
from tests import test_keras_recurrent as cells  # noqa: E402

LSTM_GATES = ("input", "forget", "output", "candidate", "cell")
GRU_GATES = ("update", "reset", "candidate")


def gates(layer, names):
    return [layer + "/" + gate for gate in names]


def layer_contents(log_dir, step=0):
    """{tag: metadata content} of the `layer` series at `step`."""
    return {tag: content for s, tag, _, content in base.read_events(log_dir)
            if s == step and content.get("kind") == "layer"}


def fit(model, x, y, log_dir, epochs=2, batch_size=2, **kwargs):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0,
                  callbacks=[sat.SaturationCallback(str(log_dir), **kwargs)])
    return [str(w.message) for w in base.saturation_warnings(record)]


# -- 1. recurrent layers ----------------------------------------------------------------


def recurrent_model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5, 3))
    h = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True, name="lstm"), name="bi")(inputs)
    h = keras.layers.GRU(3, return_sequences=True, name="gru_after")(h)
    h = keras.layers.GRU(3, return_sequences=True, reset_after=False, name="gru_before")(h)
    h = keras.layers.SimpleRNN(2, name="rnn")(h)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="out")(h)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


RECURRENT_TAGS = (
    gates("forward_lstm", LSTM_GATES) + gates("backward_lstm", LSTM_GATES)
    + gates("gru_after", GRU_GATES) + gates("gru_before", GRU_GATES) + ["rnn", "out"]
)


def test_recurrent_layers_log_every_gate_recomputed_exactly_inside_the_probe(tmp_path):
    model = recurrent_model()
    x = np.random.default_rng(0).normal(0, 2, (4, 5, 3)).astype(np.float32)
    y = np.array([[0], [1], [0], [1]], np.float32)
    probe = x[:3]
    # The gates at step 0 from a numpy re-implementation of each cell on the initial weights.
    bi = model.get_layer("bi")
    extract = keras.Model(model.input, [model.get_layer(n).input for n in ("gru_after", "gru_before", "rnn")])
    gru_after_in, gru_before_in, rnn_in = [cells.numpy(a).astype(np.float64) for a in extract(probe)]
    want = {}
    forward, _ = cells.numpy_lstm(probe.astype(np.float64), *cells.weights(bi.forward_layer))
    backward, _ = cells.numpy_lstm(probe[:, ::-1].astype(np.float64), *cells.weights(bi.backward_layer))
    for layer, values, x_in in (("forward_lstm", forward, None), ("backward_lstm", backward, None),
                                ("gru_after", None, gru_after_in), ("gru_before", None, gru_before_in)):
        if values is None:
            values, _ = cells.numpy_gru(x_in, *cells.weights(model.get_layer(layer)), layer == "gru_after")
        want.update({layer + "/" + gate: v for gate, v in values.items()})
    want["rnn"] = cells.numpy_simple_rnn(rnn_in, *cells.weights(model.get_layer("rnn")))[0]["state"]

    found = fit(model, x, y, tmp_path, probe_data=probe)

    assert found == []
    assert base.tag_steps(str(tmp_path)) == base.expected(RECURRENT_TAGS, [0, 2, 4])
    contents = layer_contents(str(tmp_path))
    assert contents["forward_lstm/forget"]["group"] == "forward_lstm"
    assert contents["forward_lstm/forget"]["gate"] == "forget"
    assert contents["gru_before/candidate"]["activation"] == "tanh"
    assert "group" not in contents["rnn"] and "output" not in contents["rnn"]
    assert contents["out"]["output"] is True
    assert {c["framework"] for c in contents.values()} == {"keras"}
    assert [contents[t]["order"] for t in RECURRENT_TAGS] == list(range(len(RECURRENT_TAGS)))
    logged = {tag: v for s, tag, v, _ in base.read_events(str(tmp_path)) if s == 0}
    for tag, values in want.items():
        act = contents[tag]["activation"]
        reference = numpy_statistics.compute(values, act)[0]
        assert numpy_statistics.field(logged[tag], "count") == 3 * 5 * values.shape[-1], tag
        for name in ("mean", "std", "meanDerivative", "saturatedLow", "saturatedHigh"):
            np.testing.assert_allclose(numpy_statistics.field(logged[tag], name),
                                       numpy_statistics.field(reference, name), atol=1e-5, err_msg=tag + name)


def test_masked_time_steps_are_not_samples(tmp_path):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((4,), dtype="int32"),
        keras.layers.Embedding(10, 3, mask_zero=True, name="embed"),
        keras.layers.LSTM(2, name="lstm"),
        keras.layers.Dense(1, name="head"),
    ])
    model.compile("sgd", "mse")
    tokens = np.array([[1, 2, 3, 0], [4, 5, 0, 0], [6, 0, 0, 0], [7, 8, 9, 1]], np.int32)
    fit(model, tokens, np.zeros((4, 1)), tmp_path, probe_data=tokens)
    assert base.tag_steps(str(tmp_path)) == base.expected(gates("lstm", LSTM_GATES), [0, 2, 4])
    logged = base.series(str(tmp_path), "lstm/forget")
    # 3 + 2 + 1 + 4 unmasked steps of 2 units each.
    assert [numpy_statistics.field(logged[s], "count") for s in (0, 2, 4)] == [20.0, 20.0, 20.0]


# -- 2. layers nested anywhere; models trained by their own train_step ---------------------


class Block(keras.layers.Layer):
    """A custom layer holding layers in a list."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.steps = [keras.layers.Dense(4, activation="tanh", name="block_tanh"),
                      keras.layers.Dense(4, activation="relu", name="block_relu")]

    def call(self, x):
        for step in self.steps:
            x = step(x)
        return x


class Holder(keras.Model):
    """A subclassed model holding a Functional sub-model, a custom layer and a nested Sequential."""

    def __init__(self):
        super().__init__()
        inputs = keras.Input((3,))
        self.encoder = keras.Model(inputs, keras.layers.Dense(4, activation="sigmoid", name="enc")(inputs),
                                   name="encoder")
        self.block = Block(name="block")
        self.head = keras.Sequential([keras.layers.Dense(1, activation="sigmoid", name="prob")], name="head")

    def call(self, x):
        return self.head(self.block(self.encoder(x)))


def test_layers_inside_custom_layers_and_held_submodels_are_logged(tmp_path):
    keras.utils.set_random_seed(2)
    model = Holder()
    model.compile("sgd", "mse")
    x, _ = base.data(4)
    fit(model, x, np.ones((4, 1)), tmp_path, probe_data=x)
    assert base.tag_steps(str(tmp_path)) == base.expected(
        ["enc", "block_tanh", "block_relu", "prob"], [0, 2, 4])
    contents = layer_contents(str(tmp_path))
    assert [contents[t]["order"] for t in ("enc", "block_tanh", "block_relu", "prob")] == [0, 1, 2, 3]
    # The probe's trace finds the output inside the nested Sequential that call() returns.
    assert [t for t, c in contents.items() if c.get("output")] == ["prob"]
    assert "trainStep" not in contents["enc"]


class Sampling(keras.layers.Layer):
    def call(self, inputs):
        mean, log_var = inputs
        return mean + keras.ops.exp(0.5 * log_var) * keras.random.normal(keras.ops.shape(mean), seed=1)


class VAE(keras.Model):
    """The keras-io VAE pattern: sub-models as attributes, a custom train_step, no call()."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def train_step(self, data):
        with tf.GradientTape() as tape:
            mean, log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            loss = keras.ops.mean((data - reconstruction) ** 2) - 0.5 * keras.ops.mean(
                1 + log_var - mean**2 - keras.ops.exp(log_var))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return {"loss": loss}


def vae():
    keras.utils.set_random_seed(3)
    x_in = keras.Input((6,))
    h = keras.layers.Dense(4, activation="relu", name="enc_hidden")(x_in)
    mean = keras.layers.Dense(2, name="z_mean")(h)
    log_var = keras.layers.Dense(2, name="z_log_var")(h)
    encoder = keras.Model(x_in, [mean, log_var, Sampling()([mean, log_var])], name="encoder")
    z_in = keras.Input((2,))
    h = keras.layers.Dense(4, activation="tanh", name="dec_hidden")(z_in)
    decoder = keras.Model(z_in, keras.layers.Dense(6, activation="sigmoid", name="dec_out")(h), name="decoder")
    model = VAE(encoder, decoder, name="vae")
    model.compile(keras.optimizers.Adam(0.01))
    return model


VAE_X = np.linspace(0.0, 1.0, 24, dtype=np.float32).reshape(4, 6)


def test_a_model_without_call_is_probed_through_the_first_submodel_that_takes_the_probe(tmp_path):
    model = vae()
    fit(model, VAE_X, None, tmp_path, probe_data=VAE_X)
    assert base.tag_steps(str(tmp_path)) == base.expected(["enc_hidden"], [0, 2, 4])
    assert layer_contents(str(tmp_path))["enc_hidden"]["trainStep"] == "custom"


def test_a_probe_per_submodel_probes_each(tmp_path):
    model = vae()
    z = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, 2.0]], np.float32)
    fit(model, VAE_X, None, tmp_path, probe_data={"encoder": VAE_X, "decoder": z})
    assert base.tag_steps(str(tmp_path)) == base.expected(["enc_hidden", "dec_hidden", "dec_out"], [0, 2, 4])
    contents = layer_contents(str(tmp_path))
    assert contents["dec_out"]["output"] is True
    assert "output" not in contents["dec_hidden"]
    assert {c["trainStep"] for c in contents.values()} == {"custom"}
    assert numpy_statistics.field(base.series(str(tmp_path), "dec_hidden")[0], "count") == 3 * 4


def test_a_model_nothing_can_probe_raises_from_fit_before_training_saying_what_to_do(tmp_path):
    model = vae()
    with pytest.raises(ValueError) as error:
        model.fit(VAE_X, epochs=1, verbose=0,
                  callbacks=[sat.SaturationCallback(str(tmp_path / "run"), np.zeros((2, 5), np.float32))])
    assert str(error.value) == (
        "SaturationCallback: model 'vae' defines no call() (it trains with its own train_step), so its "
        "sub-models are probed, and none takes probe_data of shape (2, 5). Sub-models: 'encoder' (input "
        "(None, 6)), 'decoder' (input (None, 2)). Pass a batch that fits one of them, or one per sub-model: "
        "probe_data={'encoder': ..., 'decoder': ...}."
    )
    assert int(model.optimizer.iterations) == 0
    assert not (tmp_path / "run").exists()


# -- 3. the step always advances ------------------------------------------------------


class GAN(keras.Model):
    """The keras-io GAN pattern: two optimizers of its own; `model.optimizer` never steps."""

    def __init__(self, discriminator, generator):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator

    def compile(self, d_optimizer, g_optimizer):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def train_step(self, real):
        batch = keras.ops.shape(real)[0]
        noise = keras.random.normal((batch, 2), seed=4)
        with tf.GradientTape() as tape:
            fake = self.generator(noise)
            d_loss = keras.ops.mean(self.discriminator(fake)) - keras.ops.mean(self.discriminator(real))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        with tf.GradientTape() as tape:
            g_loss = -keras.ops.mean(self.discriminator(self.generator(noise)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return {"d_loss": d_loss, "g_loss": g_loss}


def gan():
    keras.utils.set_random_seed(5)
    discriminator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="d_hidden"),
                                      keras.layers.Dense(1, activation="sigmoid", name="d_out")], name="discriminator")
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="tanh", name="g_out")],
                                 name="generator")
    model = GAN(discriminator, generator)
    model.compile(keras.optimizers.Adam(0.01), keras.optimizers.Adam(0.01))
    return model


@pytest.mark.parametrize("update_freq, steps", [(2, [0, 2, 4, 6]), ("epoch", [0, 3, 6])])
def test_a_gan_whose_model_optimizer_never_steps_logs_at_the_count_of_trained_batches(tmp_path, update_freq, steps):
    model = gan()
    real, _ = base.data(6)
    fit(model, real, None, tmp_path, probe_data={"discriminator": real[:4], "generator": real[:4, :2]},
        update_freq=update_freq)
    assert int(model.optimizer.iterations) == 0
    assert int(model.d_optimizer.iterations) == 6
    assert base.tag_steps(str(tmp_path)) == base.expected(["d_hidden", "d_out", "g_out"], steps)
    # Once the step is counted, model.optimizer's learning rate is not the one at work: NaN.
    rates = {s: v[base.SIGNAL["learningRate"]] for s, v in base.series(str(tmp_path), "d_out/signals").items()}
    assert all(np.isnan(rates[s]) for s in steps[1:])


# -- 4. any input the model accepts -----------------------------------------------------


def structured_model():
    keras.utils.set_random_seed(6)
    age = keras.Input((1,), name="age")
    fare = keras.Input((1,), name="fare")
    sex = keras.Input((1,), name="sex", dtype="int64")
    city = keras.Input((1,), name="city", dtype="string")
    sex_hot = keras.layers.IntegerLookup(vocabulary=[1, 2], output_mode="one_hot", name="sex_lookup")(sex)
    city_hot = keras.layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot", name="city_lookup")(city)
    h = keras.layers.concatenate([age, fare, sex_hot, city_hot])
    h = keras.layers.Dense(4, activation="relu", name="hidden")(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="survived")(h)
    model = keras.Model({"age": age, "fare": fare, "sex": sex, "city": city}, out)
    model.compile("adam", "binary_crossentropy")
    return model


STRUCTURED_X = {
    "age": np.array([[20.0], [30.0], [40.0], [50.0]], np.float32),
    "fare": np.array([[1.0], [-3.0], [2.0], [0.0]], np.float32),
    "sex": np.array([[1], [2], [2], [1]], np.int64),
    "city": np.array([["a"], ["b"], ["c"], ["a"]]),
}
STRUCTURED_Y = np.array([[0.0], [1.0], [1.0], [0.0]], np.float32)


def structured_dataset(batch):
    """Keras' fit takes string features from tf.data (not from numpy arrays), as in keras-io's examples."""
    return tf.data.Dataset.from_tensor_slices((STRUCTURED_X, STRUCTURED_Y)).batch(batch)


def test_dict_probe_with_string_and_integer_features_scales_the_numeric_ones_by_name(tmp_path):
    fit(structured_model(), structured_dataset(2), None, tmp_path, probe_data=STRUCTURED_X, batch_size=None)
    assert base.tag_steps(str(tmp_path)) == base.expected(["hidden", "survived"], [0, 2, 4])
    signals = {tag: c for s, tag, _, c in base.read_events(str(tmp_path)) if s == 0 and c["kind"] == "signals"}
    assert signals["hidden/signals"]["probeFeatures"] == {
        "age": [float(np.std([20.0, 30.0, 40.0, 50.0])), 50.0],
        "fare": [float(np.std([1.0, -3.0, 2.0, 0.0])), 3.0],
    }
    assert layer_contents(str(tmp_path))["survived"]["output"] is True


def test_a_tf_data_dataset_probes_with_its_first_batch(tmp_path):
    dataset = structured_dataset(4)
    fit(structured_model(), dataset, None, tmp_path / "ds", probe_data=dataset, batch_size=None)
    fit(structured_model(), dataset, None, tmp_path / "arrays", probe_data=STRUCTURED_X, batch_size=None)
    from_dataset = base.read_events(str(tmp_path / "ds"))
    from_arrays = base.read_events(str(tmp_path / "arrays"))
    assert [(s, t) for s, t, _, _ in from_dataset] == [(s, t) for s, t, _, _ in from_arrays]
    assert sorted({s for s, _, _, _ in from_dataset}) == [0, 1, 2]
    for (_, tag, a, _), (_, _, b, _) in zip(from_dataset, from_arrays):
        np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=tag)


def test_a_list_of_inputs_is_a_probe(tmp_path):
    keras.utils.set_random_seed(7)
    a, b = keras.Input((2,)), keras.Input((3,))
    h = keras.layers.Dense(2, activation="tanh", name="joined")(keras.layers.concatenate([a, b]))
    model = keras.Model([a, b], h)
    model.compile("sgd", "mse")
    x = [np.ones((4, 2), np.float32), np.full((4, 3), 2.0, np.float32)]
    fit(model, x, np.zeros((4, 2)), tmp_path, probe_data=x)
    assert base.tag_steps(str(tmp_path)) == base.expected(["joined"], [0, 2, 4])
    signals = {t: c for s, t, _, c in base.read_events(str(tmp_path)) if s == 0 and c["kind"] == "signals"}
    assert signals["joined/signals"]["probeFeatures"] == {"0": [0.0, 1.0], "1": [0.0, 2.0]}


# -- 5 (last sentence). one warning naming every skipped layer -------------------------


def test_one_warning_per_fit_names_every_skipped_layer_and_why(tmp_path):
    keras.utils.set_random_seed(8)
    model = keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(4, activation="gelu", name="g"),
        keras.layers.LeakyReLU(name="leaky"),
        keras.layers.Dense(4, activation="tanh", name="t"),
        keras.layers.Dense(2, activation="softmax", name="probs"),
    ])
    model.compile("sgd", "mse")
    x, _ = base.data(4)
    found = fit(model, x, np.ones((4, 2)), tmp_path, probe_data=x)
    supported = ", ".join(activations.ACTIVATIONS)
    assert found == [
        "SaturationCallback: model '%s': 3 layer(s) not logged: g (activation gelu is not supported; "
        "supported: %s); leaky (activation LeakyReLU is not supported; supported: %s); probs (activation "
        "softmax is not supported; supported: %s)." % (model.name, supported, supported, supported)
    ]
    assert base.tag_steps(str(tmp_path)) == base.expected(["t"], [0, 2, 4])
