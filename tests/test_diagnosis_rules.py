"""The rules added for real models (issue 13): input scaling through relu layers, values that are not
the declared activation's, model outputs, BatchNormalization probe artefacts, the order of logging and
updates, learned saturation, vanishing gradients."""

import math

import numpy as np
import pytest

from tensorboard_plugin_saturation import diagnosis
from tests.test_diagnosis import layer
from tests.test_diagnosis import signals
from tests.test_diagnosis import summary


def causes(layers):
    return summary(diagnosis.diagnose("r", layers))


def only_finding(layers):
    [finding] = diagnosis.diagnose("r", layers)["findings"]
    return finding


# -- Input scaling through layers that keep the scale -------------------------------------------


def relu_then_sigmoid(model_input_std, sigmoid_input_std, kernel=0.125):
    return [
        layer("hidden_1", [0.48, 0.48], activation="relu", units=64, steps=[0, 11], derivative=[0.52, 0.52],
              sig=signals(2, input_std=model_input_std, input_max=255.0, kernel=0.177, glorot=0.125)),
        layer("hidden_2", [0.97, 0.99], units=64, steps=[0, 11],
              sig=signals(2, input_std=sigmoid_input_std, input_max=647.0, kernel=kernel, glorot=0.125)),
    ]


def test_unscaled_inputs_found_behind_a_relu_layer():
    finding = only_finding(relu_then_sigmoid(97.6, 104.0))
    assert (finding["cause"], finding["layers"], finding["step"]) == ("input_scaling", ["hidden_2"], 0)
    assert finding["evidence"].endswith(
        "model input std 97.6 reached hidden_2 through hidden_1, which keep its scale: input std 104 "
        "(max |x| 647) at step 0, at least 2; Glorot init assumes inputs of unit scale")
    assert finding["remedy"] == diagnosis.remedies.INPUT_SCALING


def test_a_large_input_made_inside_the_network_is_not_input_scaling():
    finding = only_finding(relu_then_sigmoid(0.93, 104.0))
    assert finding["cause"] == "unknown"
    assert "model input std" not in finding["evidence"]


def test_a_large_kernel_behind_scaled_inputs_is_still_initialization():
    assert causes(relu_then_sigmoid(0.93, 3.0, kernel=1.0))[1][0][0] == "initialization"


def test_statistics_only_first_saturating_layer_behind_relu_layers_is_likely_input_scaling():
    layers = [layer("conv_1", [0.48, 0.45], activation="relu", units=8, steps=[0, 11], derivative=[0.5, 0.5]),
              layer("conv_2", [0.48, 0.5], activation="relu", units=16, steps=[0, 11], derivative=[0.5, 0.5]),
              layer("hidden", [1.0, 1.0], activation="tanh", units=32, steps=[0, 11])]
    finding = only_finding(layers)
    assert (finding["cause"], finding["layers"]) == ("input_scaling", ["hidden"])
    assert finding["evidence"].endswith(
        "only the first saturating layer is (behind conv_1, conv_2, which keep the input's scale) saturated "
        "from step 0, which points to unscaled inputs; log with SaturationCallback to see the input std")


def test_a_saturating_layer_behind_another_saturating_layer_is_not_input_scaling():
    layers = [layer("a", [0.0, 0.0], units=8, steps=[0, 11]), layer("b", [0.9, 0.9], units=8, steps=[0, 11])]
    assert causes(layers)[1] == [("initialization", ["b"], 0)]


# -- Values that cannot come from the declared activation ----------------------------------------


@pytest.mark.parametrize("share, cause", [(np.nextafter(1e-3, 0.0), "initialization"), (1e-3, "activation_mismatch")])
def test_a_thousandth_out_of_range_means_not_this_activation(share, cause):
    layers = [layer("dense", [0.6, 0.6], steps=[0, 5], outOfRange=[share, share]), layer("b", [0.6, 0.6], steps=[0, 5])]
    expected = {("initialization", ("dense", "b"))} if cause == "initialization" else {
        ("activation_mismatch", ("dense",)), ("initialization", ("b",))}
    assert {(c, tuple(tags)) for c, tags, _ in causes(layers)[1]} == expected


def test_pre_activations_logged_as_sigmoid_say_so_with_the_share_out_of_range():
    finding = only_finding([layer("dense_1", [0.2, 0.3], steps=[0, 11], outOfRange=[0.5, 0.607])])
    assert (finding["cause"], finding["layers"]) == ("activation_mismatch", ["dense_1"])
    assert finding["evidence"] == (
        "values logged for dense_1 outside the sigmoid range: 50% at step 0, 61% at step 11; these values "
        "look like pre-activations or the output of another activation, not sigmoid: 61% of them are "
        "outside its range [0, 1] at step 11, which sigmoid never produces")
    assert finding["remedy"] == diagnosis.remedies.MISMATCH % "sigmoid"


def test_out_of_range_values_only_at_an_earlier_step_are_not_a_mismatch():
    assert causes([layer("t", [0.0, 0.0, 0.0], activation="tanh", outOfRange=[0.0, 0.04, 0.0])]) == ("healthy", [])


# -- Model outputs ---------------------------------------------------------------------------------


def test_a_confident_output_is_not_saturation():
    out = diagnosis.layer_series("probability", "sigmoid", 1, [0, 45, 90], {
        "count": [256.0] * 3, "nonfinite": [0.0] * 3, "saturatedLow": [0.0, 0.4, 0.5],
        "saturatedHigh": [0.0, 0.4, 0.45], "stuckUnits": [0.0] * 3, "meanDerivative": [0.2, 0.01, 0.005]},
        output=True)
    assert causes([layer("hidden", [0.0, 0.0, 0.0], units=8), out]) == ("healthy", [])
    assert causes([layer("hidden", [0.0, 0.0, 0.0], units=8), out._replace(output=False)])[1] == [
        ("learning_rate", ["probability"], 45)]


def test_an_output_stuck_from_step_0_is_reported():
    out = layer("reconstruction", [0.9, 0.9, 0.9], units=64)._replace(output=True)
    code = layer("code", [0.1, 0.1, 0.1], activation="relu", units=16, stuck=[0.0] * 3, derivative=[0.9] * 3)
    assert causes([code, out])[1] == [
        ("input_scaling", ["reconstruction"], 0)]


# -- BatchNormalization without statistics yet -----------------------------------------------------


def batchnorm_layer(saturated, initial):
    n = len(saturated)
    sig = dict(signals(n, kernel=math.nan, glorot=math.nan, input_std=122.0), normalizationInitial=initial)
    return layer("hidden", saturated, steps=[0, 11, 22, 33][:n], units=32, sig=sig)


def test_steps_before_the_batchnorm_statistics_settle_give_no_finding():
    assert causes([batchnorm_layer([0.97, 0.97, 0.97], [1.0, 0.9, 0.8])]) == ("healthy", [])


def test_a_problem_after_the_statistics_settled_still_counts_and_says_what_was_skipped():
    finding = only_finding([batchnorm_layer([0.97, 0.9, 0.9, 0.9], [1.0, 0.6, 0.4, 0.3])])
    assert (finding["cause"], finding["step"]) == ("input_scaling", 22)
    assert finding["evidence"].startswith("activations of hidden saturated: 90% at step 22, 90% at step 33;")
    assert finding["evidence"].endswith(
        "steps before 22 skipped: BatchNormalization layers still had mostly their initial statistics, "
        "with which the probe (training=False) does not normalize")


def test_unknown_batchnorm_state_keeps_every_step():
    assert causes([batchnorm_layer([0.97, 0.97], [math.nan, math.nan])])[1][0][2] == 0


# -- Order of logging and updates ------------------------------------------------------------------


def first_layer_after_one_large_update(framework):
    sig = signals(3, kernel=0.6, glorot=0.125, update=[math.nan, 9.0, 9.0], lr=0.3)
    return [layer("a", [0.9, 0.9, 0.9], units=64, sig=sig)._replace(framework=framework),
            layer("b", [0.0, 0.0, 0.0], units=64, sig=signals(3))._replace(framework=framework)]


def test_a_torch_run_whose_kernel_then_moves_fast_blames_the_learning_rate_and_says_it_is_uncertain():
    finding = only_finding(first_layer_after_one_large_update("torch"))
    assert (finding["cause"], finding["step"]) == ("learning_rate", 0)
    assert finding["evidence"].endswith(
        "kernel std 0.6 = 4.8x the Glorot std 0.125 at step 0; the kernel then moved 0.2 of its norm per step, "
        "learning rate 0.3, at least 0.1: step 0 may have been logged after the first update (the order of "
        "logging and updates is not recorded), and one such step scales the kernel as a bad initialization "
        "would; the order makes the cause uncertain")


def test_the_keras_callback_logs_step_0_before_any_update():
    finding = only_finding(first_layer_after_one_large_update("keras"))
    assert finding["cause"] == "initialization"
    assert "uncertain" not in finding["evidence"] and "not recorded" not in finding["evidence"]


def test_a_torch_initialization_says_the_order_is_not_recorded():
    layers = first_layer_after_one_large_update("torch")
    slow = signals(3, kernel=0.6, glorot=0.125, update=[math.nan, 0.01, 0.01])
    layers[0] = layer("a", [0.9, 0.9, 0.9], units=64, sig=slow)._replace(framework="torch")
    finding = only_finding(layers)
    assert finding["cause"] == "initialization"
    assert finding["evidence"].endswith(
        "if step 0 was logged after the first update (the order of logging and updates is not recorded), "
        "a large learning rate explains it as well")


# -- Learned saturation ----------------------------------------------------------------------------


@pytest.mark.parametrize("derivative, status", [(0.025, "healthy"), (np.nextafter(0.025, 0.0), "saturated")])
def test_saturation_learned_with_small_steps_is_healthy_while_units_pass_a_tenth_of_the_gradient(derivative, status):
    sig = signals(3, update=[math.nan, 0.5, 0.5])  # 0.011 per step
    result = diagnosis.diagnose("r", [layer("hidden", [0.12, 0.41, 0.43], derivative=[0.2, 0.1, derivative], sig=sig)])
    assert result["status"] == status


# -- Vanishing gradient ----------------------------------------------------------------------------


def deep(activation, derivative, depth=8, update=1e-7):
    return [layer("hidden_%d" % (i + 1), [0.0, 0.0], activation=activation, units=32, steps=[0, 11],
                  derivative=[derivative, derivative], stuck=[0.0, 0.0],
                  sig=signals(2, update=[math.nan, update * 11])) for i in range(depth)]


def test_eight_sigmoid_layers_starve_the_first_ones():
    finding = only_finding(deep("sigmoid", 0.23))
    assert (finding["cause"], finding["layers"], finding["step"]) == (
        "vanishing_gradient", ["hidden_1", "hidden_2"], 0)
    assert finding["evidence"] == (
        "gradient of hidden_1 vanishing: product of the mean derivatives above it 7.83e-06 at step 0, "
        "7.83e-06 at step 11; the product of the mean derivatives of the 8 layers from hidden_1 to hidden_8 "
        "is 7.83e-06 at step 11, under 0.0001: the gradient reaching hidden_1 is that much smaller than at "
        "the last layer; mean derivatives at step 11: " + ", ".join("hidden_%d 0.23" % (i + 1) for i in range(8))
        + "; the kernel of hidden_1 moved a median 1e-07 of its norm per step")
    assert finding["remedy"] == diagnosis.remedies.VANISHING


@pytest.mark.parametrize("depth, status", [(6, "healthy"), (7, "saturated")])
def test_the_product_is_judged_against_a_ten_thousandth(depth, status):
    # 0.25^6 = 2.4e-4, 0.25^7 = 6.1e-5
    assert diagnosis.diagnose("r", deep("sigmoid", 0.25, depth))["status"] == status


def test_relu_layers_with_half_their_units_on_keep_the_gradient():
    assert causes(deep("relu", 0.5, depth=20)) == ("healthy", [])


def test_outputs_do_not_count_in_the_product():
    layers = deep("sigmoid", 0.25, depth=7)
    layers[-1] = layers[-1]._replace(output=True)
    assert causes(layers) == ("healthy", [])


def test_the_causes_and_their_labels_are_one_table():
    assert diagnosis.CAUSES == ("initialization", "learning_rate", "input_scaling", "activation_mismatch",
                                "vanishing_gradient", "unknown")
    assert diagnosis.CAUSE_LABELS["vanishing_gradient"] == "Vanishing gradient"
