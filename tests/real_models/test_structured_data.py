"""keras-io "Structured data classification from scratch" (fchollet; backend-agnostic version by H. Ndou), with
SaturationCallback.

Source: https://github.com/keras-team/keras-io/blob/master/examples/structured_data/structured_data_classification_from_scratch.py
Licence: Apache License 2.0 (keras-io). Model as published: a dict of inputs (numeric features through
Normalization layers, categorical ones as int64 indicator vectors made by IntegerLookup/StringLookup in tf.data),
and a custom Classifier layer holding its Dense layers. The heart-disease CSV is replaced by 12 local rows of the
same columns; 2 epochs.
"""

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from keras import layers  # noqa: E402

from tests import test_keras_callback as base  # noqa: E402
from tests.real_models import common  # noqa: E402

NUMERIC_FEATURE_NAMES = ["age", "trestbps", "thalach", "oldpeak", "slope", "chol"]
CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    "sex": [0, 1], "cp": [0, 1, 2, 3, 4], "fbs": [0, 1], "restecg": [0, 1, 2], "exang": [0, 1],
    "ca": [0, 1, 2, 3], "thal": ["fixed", "normal", "reversible"],
}
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + list(CATEGORICAL_FEATURES_WITH_VOCABULARY)


def dataframe(rows=12):
    """Columns of the heart-disease CSV, as pandas would give them (float64 / int64 / str)."""
    rng = np.random.default_rng(6)
    data = {
        "age": rng.integers(29, 77, rows).astype("int64"), "trestbps": rng.integers(94, 200, rows).astype("int64"),
        "thalach": rng.integers(71, 202, rows).astype("int64"), "oldpeak": rng.uniform(0, 6.2, rows),
        "slope": rng.integers(1, 4, rows).astype("int64"), "chol": rng.integers(126, 564, rows).astype("int64"),
    }
    for name, vocabulary in CATEGORICAL_FEATURES_WITH_VOCABULARY.items():
        data[name] = np.array([vocabulary[i % len(vocabulary)] for i in rng.integers(0, 100, rows)])
    return data, rng.integers(0, 2, rows)


def encode_categorical(features, target):
    for feature_name in features:
        if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
            lookup_class = layers.StringLookup if features[feature_name].dtype == "string" else layers.IntegerLookup
            index = lookup_class(vocabulary=CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name],
                                 mask_token=None, num_oov_indices=0, output_mode="binary")
            features[feature_name] = index(features[feature_name])
    return dict(features), target


def dataframe_to_dataset(data, labels):
    return tf.data.Dataset.from_tensor_slices((dict(data), labels)).map(encode_categorical)


def encode_numerical_feature(feature, name, dataset):
    normalizer = layers.Normalization()
    feature_ds = dataset.map(lambda x, y: x[name]).map(lambda x: tf.expand_dims(x, -1))
    normalizer.adapt(feature_ds)
    return normalizer(feature)


def create_model_inputs(train_ds):
    inputs = {}
    for feature_name in FEATURE_NAMES:
        if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
            num_categories = len(CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name])
            inputs[feature_name] = layers.Input(name=feature_name, shape=(num_categories,), dtype="int64")
        else:
            feature_input = layers.Input(name=feature_name, shape=(1,), dtype="float32")
            inputs[feature_name] = encode_numerical_feature(feature_input, feature_name, train_ds)
    return inputs


class Classifier(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense_1 = layers.Dense(32, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.dense_2 = layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        all_features = layers.concatenate(list(inputs.values()))
        x = self.dense_1(all_features)
        x = self.dropout(x)
        return self.dense_2(x)

    def build(self, input_shape):
        self.built = True


def test_structured_data_logs_the_dense_layers_inside_the_custom_classifier(tmp_path):
    common.fresh()
    data, labels = dataframe()
    train_ds = dataframe_to_dataset(data, labels)
    all_inputs = create_model_inputs(train_ds)
    model = keras.Model(all_inputs, Classifier()(all_inputs))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    train_ds = train_ds.batch(4)
    found, contents = common.fit_logged(model, train_ds, None, tmp_path, train_ds)
    assert found == []
    assert base.tag_steps(str(tmp_path)) == base.expected(["dense", "dense_1"], [0, 3, 6])
    assert common.outputs(contents) == ["dense_1"]
    signals = {t: c for s, t, _, c in base.read_events(str(tmp_path)) if s == 0 and c["kind"] == "signals"}
    # The probe is the dataset's first batch (4 rows); the numeric features are scaled by name. The int64
    # indicator vectors of the categorical features count as numbers: nothing in the model looks them up.
    features = signals["dense/signals"]["probeFeatures"]
    assert sorted(features) == sorted(FEATURE_NAMES)
    first = {name: np.asarray(data[name][:4], np.float64) for name in NUMERIC_FEATURE_NAMES}
    for name, values in first.items():
        np.testing.assert_allclose(features[name], [values.std(), np.abs(values).max()], rtol=1e-6)
