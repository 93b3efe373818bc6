"""Property-based tests (hypothesis) of the statistics and the metadata reader."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensorboard.data import provider

from tensorboard_plugin_saturation import activations, metadata, numpy_statistics
from tensorboard_plugin_saturation import reader as reader_lib

ACTIVATION = st.sampled_from(list(activations.ACTIVATIONS) + ["relu(max_value=0.7)", "elu(alpha=0.3)"])
VALUES = st.floats(-5, 5, width=32) | st.sampled_from([0.0, 1.0, -1.0, 0.005, 0.995, np.nan, np.inf, -np.inf])
DATA = hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12), elements=VALUES)
FINITE_DATA = hnp.arrays(
    np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12), elements=st.floats(-5, 5, width=32)
)
SHARES = ("saturatedLow", "saturatedHigh", "outOfRange")


def _fields(data, activation):
    result = numpy_statistics.compute(data, activation)
    return {n: float(numpy_statistics.field(result.layer, n)) for n in metadata.STATS_FIELDS}, result


@settings(max_examples=150, deadline=None)
@given(DATA, ACTIVATION)
def test_shares_are_within_zero_and_one_and_histogram_sums_to_finite_count(data, activation):
    fields, result = _fields(data, activation)
    finite = int(np.isfinite(data).sum())
    assert fields["count"] == data.size and fields["nonfinite"] == data.size - finite
    assert result.layer[len(metadata.STATS_FIELDS):].sum() == finite
    if finite:
        for name in SHARES:
            assert 0.0 <= fields[name] <= 1.0
        assert fields["saturatedLow"] + fields["saturatedHigh"] <= 1.0
    assert 0 <= fields["stuckUnits"] <= data.shape[-1]


@settings(max_examples=150, deadline=None)
@given(FINITE_DATA, ACTIVATION)
def test_unit_shares_average_to_the_layer_share(data, activation):
    fields, result = _fields(data, activation)
    layer_share = fields["saturatedLow"] + fields["saturatedHigh"]
    unit_mean = result.units.astype(np.float64).mean() / metadata.UNITS_SCALE
    # Each unit's share is rounded to 1/255, and partial shares are kept off 0 and 255.
    assert abs(unit_mean - layer_share) <= 1.0 / metadata.UNITS_SCALE
    assert fields["stuckUnits"] == int((result.units == metadata.UNITS_SCALE).sum())


@settings(max_examples=100, deadline=None)
@given(DATA, ACTIVATION, st.randoms(use_true_random=False))
def test_statistics_do_not_depend_on_sample_order(data, activation, random):
    order = list(range(data.shape[0]))
    random.shuffle(order)
    a = numpy_statistics.compute(data, activation)
    b = numpy_statistics.compute(data[order], activation)
    np.testing.assert_array_equal(a.units, b.units)
    np.testing.assert_allclose(a.layer, b.layer, rtol=1e-9, atol=1e-12, equal_nan=True)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_as_metadata_content_are_rejected_with_a_reason(content):
    with pytest.raises(ValueError, match=r"^plugin content "):
        metadata.parse_plugin_metadata(content)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["version", "kind", "activation", "eps", "units", "edges", "fields",
                                        "layer", "scale"]),
                       st.none() | st.booleans() | st.integers(-2, 3) | st.text(max_size=5)
                       | st.lists(st.integers(0, 3), max_size=3) | st.sampled_from(["layer", "units", "signals"])))
def test_random_json_objects_are_rejected_with_a_reason_or_read_by_the_reader(obj):
    """What the parser accepts, the reader can index without error; what it rejects, it says why."""
    content = json.dumps(obj).encode()
    try:
        metadata.parse_plugin_metadata(content)
    except ValueError as e:
        assert str(e).startswith("plugin content ")
        return
    series = provider.TensorTimeSeries(
        max_step=0, max_wall_time=0.0, plugin_content=content, description="", display_name=""
    )
    warnings = []
    layers = reader_lib._group_layers("run", {"tag": series}, lambda key, message: warnings.append(message))
    assert warnings == []
    if obj["kind"] == metadata.KIND_LAYER:
        [layer] = layers
        assert layer.layout.fields == tuple(obj["fields"]) and layer.layout.bins == len(obj["edges"]) - 1
    else:
        assert layers == []
