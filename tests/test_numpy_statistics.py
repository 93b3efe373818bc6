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


def _flat_histogram(s):
    """{bin: count} of the non-empty bins."""
    return {int(i): int(s["histogram"][i]) for i in np.flatnonzero(s["histogram"])}


def test_hard_sigmoid_saturates_exactly_at_0_and_1():
    s = stats(np.array([[0.0, 0.25, 1.0], [0.0, 0.5, 1.0]], np.float32), "hard_sigmoid")
    assert s["saturatedLow"] == 2 / 6 and s["saturatedHigh"] == 2 / 6
    assert s["units"].tolist() == [255, 0, 255] and s["stuckUnits"] == 2
    assert s["meanDerivative"] == pytest.approx(2 / 6 / 6, rel=1e-15)  # 1/6 on the two unsaturated values
    assert s["phi"] == 0.75  # mean |2y - 1| = (1 + .5 + 1 + 1 + 0 + 1) / 6
    # Bins: [0, 2**-126) holds the zeros, [k/32, (k+1)/32) is bin k + 1, [1, 33/32) the ones.
    assert len(s["histogram"]) == 34 and _flat_histogram(s) == {0: 2, 9: 1, 17: 1, 33: 2}
    assert s["outOfRange"] == 0


def test_hard_sigmoid_of_keras_2_has_slope_0_2():
    s = stats(np.array([[0.0, 0.25, 1.0, 0.5]], np.float32), "hard_sigmoid(slope=0.2)")
    assert s["meanDerivative"] == pytest.approx(0.1, rel=1e-15) and s["saturatedLow"] == 0.25


def test_relu6_saturates_at_zero_and_six():
    s = stats(np.array([[0.0, 3.0, 6.0], [0.0, 1.0, 6.0]], np.float32), "relu6")
    assert s["saturatedLow"] == 2 / 6 and s["saturatedHigh"] == 2 / 6
    assert s["units"].tolist() == [255, 0, 255] and s["stuckUnits"] == 2
    assert s["meanDerivative"] == pytest.approx(1 / 3, rel=1e-15) and np.isnan(s["phi"])
    # Bins: zeros, [2**-126, 2**-12), octaves [2**k, 2**(k+1)) for k = -12..1 (bins 2..15), [4, 6), [6, 12).
    assert len(s["histogram"]) == 18 and _flat_histogram(s) == {0: 2, 14: 1, 15: 1, 17: 2}


def test_relu_with_a_max_value_saturates_at_that_value_and_counts_values_above_it():
    s = stats(np.array([[0.0, 0.25, 0.5, 0.75]], np.float32), "relu(max_value=0.5)")
    assert s["saturatedLow"] == 0.25 and s["saturatedHigh"] == 0.5 and s["outOfRange"] == 0.25
    assert s["meanDerivative"] == 0.25
    # Octaves 2**-12 .. 2**-3 end at 0.25 = 2**-2 (bin 12); [0.5, 1.0) is bin 13.
    assert len(s["histogram"]) == 14 and _flat_histogram(s) == {0: 1, 12: 1, 13: 2}


def test_relu_max_value_is_compared_in_the_compute_dtype():
    # 0.7 is not a float32: a float32 layer clips at float32(0.7) < 0.7, a float64 one at 0.7.
    top32 = np.float32(0.7)
    s32 = stats(np.array([[top32, np.nextafter(top32, np.float32(0))]], np.float32), "relu(max_value=0.7)")
    s64 = stats(np.array([[0.7, float(top32)]], np.float64), "relu(max_value=0.7)")
    for s in (s32, s64):
        assert s["saturatedHigh"] == 0.5 and s["meanDerivative"] == 0.5 and s["outOfRange"] == 0


def test_hard_tanh_saturates_exactly_at_minus_1_and_1():
    s = stats(np.array([[-1.0, 0.0, 1.0], [-1.0, 0.5, 1.0]], np.float32), "hard_tanh")
    assert s["saturatedLow"] == 2 / 6 and s["saturatedHigh"] == 2 / 6 and s["stuckUnits"] == 2
    assert s["meanDerivative"] == pytest.approx(1 / 3, rel=1e-15)
    assert s["phi"] == 0.75  # mean |y|
    # Bins: [-1, -1 + 2**-24) holds exactly -1, [-1 + k/16, ...) is bin k + 1, [1, 17/16) the ones.
    assert len(s["histogram"]) == 34 and _flat_histogram(s) == {0: 2, 17: 1, 25: 1, 33: 2}


def test_hard_tanh_counts_values_beyond_its_range_as_saturated_and_out_of_range():
    s = stats(np.array([[-2.0, np.nextafter(np.float32(-1), np.float32(0)), 2.0]], np.float32), "hard_tanh")
    assert s["saturatedLow"] == 1 / 3 and s["saturatedHigh"] == 1 / 3 and s["outOfRange"] == 2 / 3
    assert _flat_histogram(s) == {0: 1, 1: 1, 33: 1}  # the float32 after -1 is in bin 1


def test_softsign_saturates_within_eps_like_tanh():
    y = np.array([[-0.995, -0.5, 0.0, 0.5, 0.995]], np.float32)
    s = stats(y, "softsign")
    assert s["saturatedLow"] == 0.2 and s["saturatedHigh"] == 0.2
    # (1 - |y|)^2: 2 x 0.005^2 + 2 x 0.25 + 1, over 5 (0.995 as float32 is 0.99500000477).
    assert s["meanDerivative"] == pytest.approx((2 * 0.0049999952316284**2 + 1.5) / 5, rel=1e-9)
    assert s["phi"] == pytest.approx((2 * 0.9950000047683716 + 1) / 5, rel=1e-12)  # mean |y|
    assert _flat_histogram(s) == {0: 1, 8: 1, 16: 1, 24: 1, 31: 1}


def test_elu_saturates_near_minus_1_only():
    s = stats(np.array([[-1.0, -0.995, -0.5, 0.0, 2.0]], np.float32), "elu")
    assert s["saturatedLow"] == 0.4 and s["saturatedHigh"] == 0
    assert s["units"].tolist() == [255, 255, 0, 0, 0] and s["stuckUnits"] == 2
    # f' = y + 1 for y <= 0, 1 above: 0, 0.005, 0.5, 1, 1 (-0.995 as float32 is -0.99500000477).
    assert s["meanDerivative"] == pytest.approx((0.0049999952316284 + 2.5) / 5, rel=1e-9)
    assert np.isnan(s["phi"])
    # Bins: 16 over [-1, 0) (width 1/16), [0, 2**-12) (bin 16), then octaves: [2, 4) is bin 30.
    assert len(s["histogram"]) == 41 and _flat_histogram(s) == {0: 2, 8: 1, 16: 1, 30: 1}


def test_elu_with_alpha_saturates_near_minus_alpha():
    s = stats(np.array([[-0.3, -0.295, -0.2, 1.0]], np.float32), "elu(alpha=0.3)")
    assert s["saturatedLow"] == 0.5 and s["outOfRange"] == 0
    low = float(np.float32(-0.3))  # f' = y - low, low rounded to float32 as the data
    expected = (0 + (float(np.float32(-0.295)) - low) + (float(np.float32(-0.2)) - low) + 1) / 4
    assert s["meanDerivative"] == pytest.approx(expected, rel=1e-12)
    # Bins over [-0.5, 0) of width 1/32: -0.3 and -0.295 in [-0.3125, -0.28125) (bin 6), -0.2 in bin 9.
    assert _flat_histogram(s) == {6: 2, 9: 1, 29: 1}


def test_selu_saturates_near_minus_scale_alpha():
    low = np.float32(-1.0507009873554805 * 1.6732632423543772)  # -1.7580993 in float32
    s = stats(np.array([[low, -1.75, 0.0, 1.0507]], np.float32), "selu")
    assert s["saturatedLow"] == 0.5 and s["outOfRange"] == 0  # y < -1.7481: low and -1.75
    # f' = y + 1.7580993 below 0, 1.0507009873554805 above: 0, 0.0080993, 1.7580993, 1.0507.
    assert s["meanDerivative"] == pytest.approx(
        (0 + (-1.75 + 1.7580993175506592) + 1.7580993175506592 + 1.0507009873554805) / 4, rel=1e-12
    )
    # Bins over [-2, 0) of width 1/8: low in [-1.875, -1.75) (bin 1), -1.75 in bin 2; [1, 2) is bin 29.
    assert _flat_histogram(s) == {1: 1, 2: 1, 16: 1, 29: 1}


def test_selu_below_its_range_is_out_of_range():
    s = stats(np.array([[-1.8, 0.5]], np.float32), "selu")
    assert s["outOfRange"] == 0.5 and s["saturatedLow"] == 0.5
    assert s["meanDerivative"] == pytest.approx(1.0507009873554805 / 2, rel=1e-12)  # clipped: f' 0 there


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
        ({"activation": "gelu"}, ValueError, r"one of 'sigmoid', 'tanh', 'relu', 'hard_sigmoid', 'relu6', 'softsign', 'elu', 'selu', 'hard_tanh', 'relu\(max_value=V\)', 'elu\(alpha=V\)', 'hard_sigmoid\(slope=V\)'; got 'gelu'"),
        ({"activation": None}, TypeError, r"activation must be a string.*got None"),
        ({"eps": 0.5}, ValueError, r"eps must be in \(0, 0.5\); got 0.5"),
        ({"eps": "0.1"}, TypeError, r"eps must be a float.*got '0.1' of type str"),
    ],
)
def test_bad_options_name_what_was_expected(kwargs, error, message):
    with pytest.raises(error, match=message):
        numpy_statistics.compute(np.ones((2, 2)), **kwargs)
