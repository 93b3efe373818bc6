"""The numpy reference statistics: one test per row of the edge-case table."""

import numpy as np
import pytest

from tensorboard_plugin_saturation import activations, metadata, numpy_statistics


def stats(data, activation="sigmoid", eps=0.01):
    result = numpy_statistics.compute(np.asarray(data), activation, eps)
    fields = {name: numpy_statistics.field(result.layer, name) for name in metadata.STATS_FIELDS}
    fields["histogram"] = result.layer[len(metadata.STATS_FIELDS):]
    fields["units"] = result.units
    return fields


def test_sigmoid_hand_computed_row():
    s = stats(np.array([[0.005, 0.5, 0.995]], np.float32))
    assert s["count"] == 3 and s["nonfinite"] == 0
    assert s["saturatedLow"] == pytest.approx(1 / 3) and s["saturatedHigh"] == pytest.approx(1 / 3)
    y = np.array([0.005, 0.5, 0.995], np.float32).astype(np.float64)
    assert s["meanDerivative"] == pytest.approx(np.mean(y * (1 - y)), rel=1e-12)
    assert s["phi"] == pytest.approx(np.mean(np.abs(2 * y - 1)), rel=1e-12)
    assert s["units"].tolist() == [255, 0, 255]
    assert s["stuckUnits"] == 2
    assert s["histogram"].sum() == 3
    assert np.flatnonzero(s["histogram"]).tolist() == [0, 16, 31]


def test_tanh_saturation_is_within_eps_of_either_asymptote():
    s = stats(np.array([[-0.995, -0.98, 0.0, 0.98, 0.995]], np.float32), "tanh")
    assert s["saturatedLow"] == pytest.approx(0.2) and s["saturatedHigh"] == pytest.approx(0.2)
    assert s["meanDerivative"] == pytest.approx(
        np.mean(1 - np.array([-0.995, -0.98, 0.0, 0.98, 0.995], np.float32).astype(np.float64) ** 2)
    )


def test_relu_counts_exact_zeros_as_off_and_dead_units():
    data = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]], np.float32)
    s = stats(data, "relu")
    assert s["saturatedLow"] == pytest.approx(0.5) and s["saturatedHigh"] == 0
    assert s["units"].tolist() == [255, 0, 128]
    assert s["stuckUnits"] == 1
    assert s["meanDerivative"] == pytest.approx(0.5)
    assert np.isnan(s["phi"])
    assert s["histogram"][0] == 3  # the zero bin holds exactly the zeros
    assert s["histogram"].sum() == 6


def test_no_samples_gives_count_zero_and_nan_shares():
    s = stats(np.zeros((0, 4), np.float32))
    assert s["count"] == 0 and s["nonfinite"] == 0 and s["stuckUnits"] == 0
    for name in ("saturatedLow", "saturatedHigh", "meanDerivative", "phi", "mean", "std", "outOfRange"):
        assert np.isnan(s[name]), name
    assert s["histogram"].sum() == 0 and s["units"].tolist() == [0, 0, 0, 0]


def test_constant_data_has_zero_std_and_one_bin():
    s = stats(np.full((10, 3), 0.3, np.float32))
    assert s["std"] == pytest.approx(0.0, abs=1e-12)
    assert s["mean"] == pytest.approx(float(np.float32(0.3)))
    assert s["saturatedLow"] == 0 and s["saturatedHigh"] == 0
    assert np.flatnonzero(s["histogram"]).tolist() == [9]  # 0.3 * 32 = 9.6
    assert s["histogram"][9] == 30


def test_all_saturated_marks_every_unit_stuck():
    data = np.array([[0.001, 0.999], [0.0, 1.0]], np.float32)
    s = stats(data)
    assert s["saturatedLow"] + s["saturatedHigh"] == 1.0
    assert s["units"].tolist() == [255, 255] and s["stuckUnits"] == 2


def test_half_saturated_units_quantize_to_128():
    data = np.array([[0.001, 0.5], [0.5, 0.999]], np.float32)
    s = stats(data)
    assert s["units"].tolist() == [128, 128] and s["stuckUnits"] == 0
    assert s["saturatedLow"] == 0.25 and s["saturatedHigh"] == 0.25


def test_nan_and_inf_are_counted_and_left_out():
    data = np.array([[np.nan, 0.5], [np.inf, 0.999], [-np.inf, 0.5]], np.float32)
    s = stats(data)
    assert s["count"] == 6 and s["nonfinite"] == 3
    assert s["saturatedHigh"] == pytest.approx(1 / 3)
    assert s["histogram"].sum() == 3
    assert s["mean"] == pytest.approx(np.mean([0.5, 0.999, 0.5]), rel=1e-6)
    assert s["units"].tolist() == [0, 85]  # unit 0 has no finite sample


def test_only_nonfinite_values_give_nan_statistics():
    s = stats(np.full((2, 2), np.nan, np.float32))
    assert s["count"] == 4 and s["nonfinite"] == 4
    assert np.isnan(s["saturatedLow"]) and np.isnan(s["mean"])
    assert s["histogram"].sum() == 0 and s["stuckUnits"] == 0


def test_rank_one_is_one_sample_of_units():
    s = stats(np.array([0.001, 0.5], np.float32))
    assert s["count"] == 2 and s["units"].tolist() == [255, 0]


def test_conv_shaped_data_reduces_all_but_the_channel_axis():
    data = np.full((2, 3, 3, 2), 0.5, np.float32)
    data[..., 1] = 0.999
    s = stats(data)
    assert s["count"] == 36 and s["units"].tolist() == [0, 255]
    assert s["saturatedHigh"] == 0.5 and s["stuckUnits"] == 1


def test_values_outside_the_range_are_counted_and_clipped():
    s = stats(np.array([[-3.0, 0.5, 4.0, 0.5]], np.float32))
    assert s["outOfRange"] == 0.5
    assert s["histogram"][0] == 1 and s["histogram"][31] == 1
    assert s["meanDerivative"] == pytest.approx(0.125)  # clipped: 0, .25, 0, .25
    assert s["mean"] == pytest.approx((-3 + 0.5 + 4 + 0.5) / 4)


def test_large_relu_values_fall_in_the_last_bin():
    s = stats(np.array([[1e6, 5000.0]], np.float32), "relu")
    bins = len(activations.get("relu").edges) - 1
    assert s["histogram"][bins - 1] == 2 and s["outOfRange"] == 0


def test_value_on_an_edge_falls_in_the_bin_it_starts():
    s = stats(np.array([[0.25, 0.5]], np.float32))
    assert np.flatnonzero(s["histogram"]).tolist() == [8, 16]


def test_eps_threshold_is_strict():
    s = stats(np.array([[np.float32(0.01), np.float32(0.99)]], np.float32))
    assert s["saturatedLow"] == 0 and s["saturatedHigh"] == 0


def test_float64_is_computed_in_float64():
    tiny_above = 0.01 + 1e-12
    s = stats(np.array([[tiny_above, 0.01 - 1e-12]], np.float64))
    assert s["saturatedLow"] == 0.5


def test_integer_data_is_accepted():
    s = stats(np.array([[0, 1], [0, 1]], np.int32), "relu")
    assert s["saturatedLow"] == 0.5 and s["units"].tolist() == [255, 0]


def test_quantize_keeps_zero_and_scale_for_never_and_always():
    q = numpy_statistics.quantize_units([0, 1, 999, 1000, 5], [1000, 1000, 1000, 1000, 0])
    assert q.tolist() == [0, 1, 254, 255, 0]


@pytest.mark.parametrize(
    "data, error, message",
    [
        (np.float32(0.5), ValueError, r"rank >= 1 \[\.\.\., units\]; got shape \(\)"),
        (np.zeros((3, 0)), ValueError, r"at least one unit on its last axis; got shape \(3, 0\)"),
        (np.array([["a"]]), TypeError, r"real numbers .*got dtype <U1"),
        (np.array([[True]]), TypeError, r"real numbers .*got dtype bool"),
        (np.array([[1j]]), TypeError, r"real numbers .*got dtype complex128"),
    ],
)
def test_bad_data_names_what_was_expected(data, error, message):
    with pytest.raises(error, match=message):
        numpy_statistics.compute(data)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"activation": "gelu"}, ValueError, r"one of 'sigmoid', 'tanh', 'relu'; got 'gelu'"),
        ({"activation": None}, TypeError, r"activation must be a string.*got None"),
        ({"eps": 0.5}, ValueError, r"eps must be in \(0, 0.5\); got 0.5"),
        ({"eps": "0.1"}, TypeError, r"eps must be a float.*got '0.1' of type str"),
    ],
)
def test_bad_options_name_what_was_expected(kwargs, error, message):
    with pytest.raises(error, match=message):
        numpy_statistics.compute(np.ones((2, 2)), **kwargs)
