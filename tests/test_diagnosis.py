"""The diagnosis rules: synthetic series at each threshold, remedies that run, real trained networks."""

import math

import numpy as np
import pytest

from tensorboard_plugin_saturation import diagnosis
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import report

COUNT = 1000.0
STEPS = [0, 45, 90]


def stats(saturated, *, high=None, derivative=None, stuck=None, nonfinite=None, **optional):
    """Layer statistics over len(saturated) steps; `saturated` is the low share; `optional`: more fields."""
    n = len(saturated)
    return dict(optional, **{
        "count": [COUNT] * n,
        "nonfinite": nonfinite if nonfinite is not None else [0.0] * n,
        "saturatedLow": saturated,
        "saturatedHigh": high if high is not None else [0.0] * n,
        "stuckUnits": stuck if stuck is not None else [0.0] * n,
        # By default a saturated layer passes little gradient (2% of the
        # sigmoid maximum), an unsaturated one plenty (80%).
        "meanDerivative": derivative if derivative is not None else [
            0.005 if low + h >= diagnosis.SATURATED_SHARE else 0.2
            for low, h in zip(saturated, high if high is not None else [0.0] * n)],
    })


def signals(n, *, input_std=0.93, input_max=21.2, kernel=0.0625, glorot=0.0625, update=None, lr=0.001):
    """Callback signals over n steps; scalars are repeated, updateRatio is NaN at the first log."""
    def column(value):
        return list(value) if isinstance(value, (list, tuple)) else [value] * n
    return {
        "inputStd": column(input_std),
        "inputMaxAbs": column(input_max),
        "kernelStd": column(kernel),
        "glorotStd": column(glorot),
        "updateRatio": column(update if update is not None else [math.nan] + [0.1] * (n - 1)),
        "learningRate": column(lr),
    }


def layer(tag, saturated, *, activation="sigmoid", units=256, steps=None, sig=None, **kwargs):
    steps = steps if steps is not None else STEPS[: len(saturated)]
    return diagnosis.layer_series(tag, activation, units, steps, stats(saturated, **kwargs), sig)


def summary(result):
    """(status, [(cause, layers, step)]) of a diagnosis."""
    return result["status"], [(f["cause"], f["layers"], f["step"]) for f in result["findings"]]


GLOROT_SNIPPET_256 = (
    "import keras\n"
    "\n"
    "# The same kernel_initializer works for Conv1D/2D/3D layers.\n"
    "layer = keras.layers.Dense(\n"
    '    256, activation="sigmoid", kernel_initializer="glorot_uniform", bias_initializer="zeros"\n'
    ")\n"
)


# -- Exact outputs of the four product signatures (README's demo table) ----------------------


def test_a_healthy_run_has_no_findings():
    layers = [layer("dense", [0.0, 0.01, 0.03], sig=signals(3)), layer("dense_1", [0.0, 0.0, 0.02], sig=signals(3))]
    assert diagnosis.diagnose("glorot_init", layers) == {"run": "glorot_init", "status": "healthy", "findings": []}


def test_initialization_with_signals_names_the_kernel_std():
    sig = signals(3, kernel=1.0, glorot=0.0625)
    layers = [
        layer("dense", [0.5, 0.5, 0.5], sig=signals(3, kernel=1.0, glorot=0.0791)),
        layer("dense_1", [0.69, 0.7, 0.7], derivative=[0.035, 0.034, 0.033], sig=sig),
        layer("dense_2", [0.6, 0.6, 0.58], sig=sig),
    ]
    assert diagnosis.diagnose("bad_init", layers) == {
        "run": "bad_init",
        "status": "saturated",
        "findings": [{
            "cause": "initialization",
            "layers": ["dense", "dense_1", "dense_2"],
            "step": 0,
            "evidence": "activations of dense_1 saturated: 69% at step 0, 70% at step 90; "
                        "mean derivative 0.033 at step 90, 13% of the sigmoid maximum 0.25; "
                        "kernel std 1 = 16x the Glorot std 0.0625 at step 0, at least 2x; "
                        "3 layers saturated at their last step: dense 50%, dense_1 70%, dense_2 58%",
            "remedy": diagnosis.remedies.INIT_SATURATING,
            "snippet": GLOROT_SNIPPET_256,
        }],
    }


def test_learning_rate_with_signals_names_the_update_ratio_and_the_rate():
    sig = signals(3, update=[math.nan, 27.0, 0.01], lr=0.3)
    layers = [
        layer("dense", [0.0, 0.83, 0.83], sig=sig),
        layer("dense_1", [0.0, 1.0, 1.0], derivative=[0.23, 0.0, 0.0], sig=sig),
    ]
    result = diagnosis.diagnose("high_lr", layers)
    assert result == {
        "run": "high_lr",
        "status": "saturated",
        "findings": [{
            "cause": "learning_rate",
            "layers": ["dense", "dense_1"],
            "step": 45,
            "evidence": "activations of dense_1 saturated: 0% at step 0, 100% at step 45, 100% at step 90; "
                        "mean derivative 0 at step 90, 0% of the sigmoid maximum 0.25; "
                        "the kernel of dense_1 moved 0.6 of its norm per step between steps 0 and 45, "
                        "at least 0.1 (DeepDiagnosis' bound), learning rate 0.3; "
                        "2 layers saturated at their last step: dense 83%, dense_1 100%",
            "remedy": "Lower the learning rate (about 10x, from 0.3 to 0.03) and decay it during training. "
                      "Saturated and dead units pass almost no gradient and rarely recover, so retrain "
                      "from a fresh initialization.",
            "snippet": "import keras\n"
                       "\n"
                       "schedule = keras.optimizers.schedules.ExponentialDecay(\n"
                       "    initial_learning_rate=0.03,  # 10x lower than the logged 0.3\n"
                       "    decay_steps=1000,\n"
                       "    decay_rate=0.5,\n"
                       ")\n"
                       "optimizer = keras.optimizers.Adam(learning_rate=schedule)\n"
                       "model.compile(optimizer=optimizer, loss=model.loss)  # and your metrics=\n",
        }],
    }


def test_input_scaling_with_signals_names_the_input_std():
    layers = [
        layer("dense", [0.95, 0.96, 0.97], derivative=[0.005, 0.004, 0.004],
              sig=signals(3, input_std=96.1, input_max=255.0, kernel=0.0793, glorot=0.0791)),
        layer("dense_1", [0.0, 0.0, 0.002], sig=signals(3, input_std=0.49, input_max=1.0)),
    ]
    assert diagnosis.diagnose("raw_inputs", layers) == {
        "run": "raw_inputs",
        "status": "saturated",
        "findings": [{
            "cause": "input_scaling",
            "layers": ["dense"],
            "step": 0,
            "evidence": "activations of dense saturated: 95% at step 0, 97% at step 90; "
                        "mean derivative 0.004 at step 90, 2% of the sigmoid maximum 0.25; "
                        "input std 96.1 (max |x| 255) at step 0, at least 2; "
                        "Glorot init assumes inputs of unit scale",
            "remedy": diagnosis.remedies.INPUT_SCALING,
            "snippet": diagnosis.remedies.INPUT_SNIPPET,
        }],
    }


# -- Statistics only: the timing and place of the onset tell the likely cause ------------------


def test_summary_only_saturated_from_the_start_everywhere_is_likely_initialization():
    layers = [layer("dense", [0.5, 0.5]), layer("dense_1", [0.69, 0.7], derivative=[0.035, 0.034])]
    finding = diagnosis.diagnose("bad_init", layers)["findings"][0]
    assert finding["cause"] == "initialization"
    assert finding["evidence"] == (
        "activations of dense_1 saturated: 69% at step 0, 70% at step 45; "
        "mean derivative 0.034 at step 45, 14% of the sigmoid maximum 0.25; "
        "saturated from step 0, before any update, which points to the initialization; "
        "log with SaturationCallback to compare the kernel std with the Glorot std; "
        "2 layers saturated at their last step: dense 50%, dense_1 70%"
    )


def test_summary_only_first_layer_alone_from_the_start_is_likely_input_scaling():
    layers = [layer("dense", [0.95, 0.97]), layer("dense_1", [0.0, 0.0]), layer("dense_2", [0.0, 0.39])]
    result = diagnosis.diagnose("raw_inputs", layers)
    assert summary(result) == ("saturated", [("input_scaling", ["dense"], 0)])
    assert result["findings"][0]["evidence"].endswith(
        "only the first layer is saturated from step 0, which points to unscaled inputs; "
        "log with SaturationCallback to see the input std"
    )


def test_logs_that_start_after_step_0_say_so():
    layers = [layer("dense", [0.6, 0.6], steps=[5, 10]), layer("dense_1", [0.6, 0.6], steps=[5, 10])]
    assert "saturated from step 5, the first logged step, which points to the initialization" in \
        diagnosis.diagnose("r", layers)["findings"][0]["evidence"]


def test_summary_only_later_layer_alone_from_the_start_is_likely_initialization():
    layers = [layer("dense", [0.0, 0.0]), layer("dense_1", [0.6, 0.6])]
    assert summary(diagnosis.diagnose("r", layers)) == ("saturated", [("initialization", ["dense_1"], 0)])


def test_summary_only_a_single_logged_layer_saturated_from_the_start_is_unknown():
    result = diagnosis.diagnose("r", [layer("dense", [0.9, 0.9])])
    assert summary(result) == ("saturated", [("unknown", ["dense"], 0)])
    assert result["findings"][0]["evidence"].endswith(
        "the only logged layer is saturated from step 0, which initialization and input scaling "
        "both explain; log with SaturationCallback to compare the input std and the kernel std "
        "with the Glorot std"
    )
    assert result["findings"][0]["remedy"] == diagnosis.remedies.UNKNOWN_SATURATING


def test_summary_only_later_onset_is_likely_the_learning_rate():
    result = diagnosis.diagnose("high_lr", [layer("dense", [0.0, 0.0, 0.9]), layer("dense_1", [0.0, 0.95, 1.0])])
    assert summary(result) == ("saturated", [("learning_rate", ["dense", "dense_1"], 45)])
    finding = result["findings"][0]
    assert "onset at step 45, after training started, points to the learning rate; log with " \
           "SaturationCallback to see the update ratio |dW|/|W| and the learning rate" in finding["evidence"]
    assert "initial_learning_rate=0.1 * float(model.optimizer.learning_rate),  # 10x lower\n" in finding["snippet"]
    assert finding["remedy"].startswith("Lower the learning rate (about 10x) and decay it")


# -- Saturation thresholds -----------------------------------------------------------------------


@pytest.mark.parametrize("share, status", [(0.3999, "healthy"), (0.4, "saturated")])
def test_sigmoid_layer_is_saturated_from_40_percent(share, status):
    assert diagnosis.diagnose("r", [layer("a", [0.0, share]), layer("b", [0.0, 0.0])])["status"] == status


@pytest.mark.parametrize("low, high, status", [(0.2, 0.1999, "healthy"), (0.2, 0.2, "saturated")])
def test_tanh_layer_counts_both_asymptotes(low, high, status):
    tanh = layer("a", [0.0, low], high=[0.0, high], activation="tanh")
    assert diagnosis.diagnose("r", [tanh, layer("b", [0.0, 0.0])])["status"] == status


def test_a_moderate_learned_share_of_saturated_units_is_healthy():
    layers = [
        layer("dense", [0.0, 0.1, 0.2, 0.3, 0.307], steps=[0, 45, 90, 135, 180], derivative=[0.21, 0.1, 0.09, 0.08, 0.073]),
        layer("dense_1", [0.0, 0.05, 0.1, 0.147, 0.15], steps=[0, 45, 90, 135, 180]),
    ]
    assert diagnosis.diagnose("sig_long", layers)["status"] == "healthy"


def test_only_the_last_step_decides_whether_a_layer_is_saturated_now():
    recovered = layer("a", [0.7, 0.5, 0.3])
    assert diagnosis.diagnose("r", [recovered, layer("b", [0.0] * 3)])["status"] == "healthy"


def test_onset_is_the_first_flagged_step_even_after_a_dip():
    dipped = layer("a", [0.0, 0.45, 0.39, 0.5], steps=[0, 10, 20, 30])
    assert summary(diagnosis.diagnose("r", [dipped, layer("b", [0.0] * 4, steps=[0, 10, 20, 30])])) == (
        "saturated", [("learning_rate", ["a"], 10)])


# -- ReLU: dead units, not the share of zeros ----------------------------------------------------


@pytest.mark.parametrize("dead, status", [(49.0, "healthy"), (50.0, "saturated")])
def test_relu_layer_is_flagged_from_half_of_its_units_dead(dead, status):
    relu = layer("a", [0.5, 0.9], activation="relu", units=100, stuck=[0.0, dead], derivative=[0.5, 0.1])
    assert diagnosis.diagnose("r", [layer("b", [0.0, 0.0]), relu])["status"] == status


def test_relu_half_zeros_is_normal():
    relu = layer("a", [0.5, 0.55, 0.58], activation="relu", units=64, stuck=[0.0, 2.0, 8.0])
    assert diagnosis.diagnose("relu_mlp", [relu])["status"] == "healthy"


def test_relu_dying_during_training_is_the_learning_rate():
    sig = signals(3, kernel=0.088, glorot=0.0625, update=[math.nan, 9.0, 0.07], lr=0.05)
    relu = layer("dense_1", [0.49, 1.0, 1.0], activation="relu", units=256, stuck=[0.0, 253.0, 256.0],
                 derivative=[0.51, 0.0, 0.0], sig=sig)
    finding = diagnosis.diagnose("relu_high_lr", [relu])["findings"][0]
    assert (finding["cause"], finding["layers"], finding["step"]) == ("learning_rate", ["dense_1"], 45)
    assert finding["evidence"] == (
        "units of dense_1 dead (zero on every probe sample): 0% at step 0, 99% at step 45, "
        "100% at step 90; the kernel of dense_1 moved 0.2 of its norm per step between steps 0 and 45, "
        "at least 0.1 (DeepDiagnosis' bound), learning rate 0.05"
    )


def test_relu_dead_from_the_start_is_initialization_with_he_init():
    relu = layer("dense", [0.9, 0.9], activation="relu", units=32, stuck=[20.0, 20.0])
    finding = diagnosis.diagnose("r", [relu, layer("dense_1", [0.0, 0.0], activation="relu", units=32)])["findings"][0]
    assert (finding["cause"], finding["remedy"]) == ("initialization", diagnosis.remedies.INIT_RELU)
    assert finding["evidence"] == (
        "units of dense dead (zero on every probe sample): 63% at step 0, 63% at step 45; "
        "dead from step 0, before any update: the initial weights and biases switch these units off "
        "for every probe sample"
    )
    assert 'Dense(\n    32, activation="relu", kernel_initializer="he_normal", bias_initializer="zeros"\n)' \
        in finding["snippet"]


# -- Signals at the start: kernel std against Glorot, input std ---------------------------------


def first_layer_saturated_from_start(**signal_kwargs):
    return [layer("dense", [0.6, 0.6], sig=signals(2, **signal_kwargs)), layer("dense_1", [0.0, 0.0], sig=signals(2))]


@pytest.mark.parametrize("kernel, cause", [(0.12499, "unknown"), (0.125, "initialization")])
def test_kernel_std_twice_the_glorot_std_means_initialization(kernel, cause):
    result = diagnosis.diagnose("r", first_layer_saturated_from_start(kernel=kernel, glorot=0.0625, input_std=1.0))
    assert summary(result) == ("saturated", [(cause, ["dense"], 0)])


def test_unknown_at_the_start_says_what_was_ruled_out():
    result = diagnosis.diagnose("r", first_layer_saturated_from_start(kernel=0.07, glorot=0.0625, input_std=1.0, input_max=3.0))
    assert result["findings"][0]["evidence"].endswith(
        "kernel std 0.07 = 1.12x the Glorot std 0.0625 at step 0, under 2x; "
        "input std 1 (max |x| 3) at step 0, under 2; "
        "neither explains it: check the biases and the offset of the layer's input"
    )
    assert result["findings"][0]["snippet"] == (
        "import keras\n\nblock = keras.Sequential([\n    keras.layers.Dense(256, use_bias=False),\n"
        "    keras.layers.BatchNormalization(),\n    keras.layers.Activation(\"sigmoid\"),\n])\n"
    )


@pytest.mark.parametrize("input_std, cause", [(1.9999, "unknown"), (2.0, "input_scaling")])
def test_input_std_of_two_means_input_scaling(input_std, cause):
    result = diagnosis.diagnose("r", first_layer_saturated_from_start(kernel=0.0625, glorot=0.0625, input_std=input_std))
    assert summary(result) == ("saturated", [(cause, ["dense"], 0)])


@pytest.mark.parametrize("input_std, kernel, cause", [
    (5.0, 1.0, "initialization"),   # kernel 16x Glorot beats input std 5
    (16.0, 1.0, "input_scaling"),   # a tie goes to the inputs (checked first)
    (96.0, 1.0, "input_scaling"),
])
def test_when_inputs_and_kernel_are_both_off_the_larger_excess_wins(input_std, kernel, cause):
    result = diagnosis.diagnose("r", first_layer_saturated_from_start(kernel=kernel, glorot=0.0625, input_std=input_std))
    assert summary(result) == ("saturated", [(cause, ["dense"], 0)])


def test_input_std_of_a_later_layer_does_not_mean_input_scaling():
    layers = [layer("dense", [0.0, 0.0], sig=signals(2)),
              layer("dense_1", [0.6, 0.6], sig=signals(2, input_std=50.0, kernel=0.0625))]
    assert summary(diagnosis.diagnose("r", layers)) == ("saturated", [("unknown", ["dense_1"], 0)])


def test_a_layer_without_kernel_falls_back_to_the_statistics():
    no_kernel = signals(2, input_std=0.9, kernel=math.nan, glorot=math.nan, update=[math.nan, math.nan])
    layers = [layer("activation", [0.9, 0.9], sig=no_kernel), layer("dense_1", [0.0, 0.0], sig=signals(2))]
    finding = diagnosis.diagnose("r", layers)["findings"][0]
    assert finding["cause"] == "input_scaling"
    assert finding["evidence"].endswith(
        "only the first layer is saturated from step 0, which points to unscaled inputs; "
        "activation has no kernel of its own, so its signals cannot tell"
    )


def test_a_layer_without_kernel_uses_its_input_std():
    no_kernel = signals(2, input_std=30.0, kernel=math.nan, glorot=math.nan, update=[math.nan, math.nan])
    layers = [layer("activation", [0.9, 0.9], sig=no_kernel), layer("dense_1", [0.0, 0.0], sig=signals(2))]
    finding = diagnosis.diagnose("r", layers)["findings"][0]
    assert finding["cause"] == "input_scaling"
    assert finding["evidence"].endswith(
        "input std 30 (max |x| 21.2) at step 0, at least 2; Glorot init assumes inputs of unit scale")


# -- Signals later: the update ratio per step --------------------------------------------------


@pytest.mark.parametrize("ratio, cause", [(np.nextafter(0.1, 0.0), "unknown"), (0.1, "learning_rate")])
def test_updates_of_a_tenth_of_the_norm_per_step_blame_the_learning_rate(ratio, cause):
    sig = signals(3, update=[math.nan, ratio, 0.0])
    result = diagnosis.diagnose("r", [layer("dense", [0.0, 0.8, 0.8], steps=[0, 1, 2], sig=sig)])
    assert summary(result) == ("saturated", [(cause, ["dense"], 1)])


def test_update_ratio_is_divided_by_the_steps_between_logs():
    sig = signals(3, update=[math.nan, 0.05, 0.0])  # 0.05 over 100 steps = 5e-4 per step
    result = diagnosis.diagnose("r", [layer("dense", [0.0, 0.8, 0.8], steps=[0, 100, 200], sig=sig)])
    assert summary(result) == ("saturated", [("unknown", ["dense"], 100)])
    assert result["findings"][0]["evidence"].endswith(
        "onset at step 100, but the kernel of dense moved 0.0005 of its norm per step between steps 0 and 100, "
        "under 0.1: the updates were too small to blame the learning rate, learning rate 0.001"
    )


def test_only_updates_up_to_the_onset_count():
    sig = signals(4, update=[math.nan, 1e-5, 1e-5, 5.0])  # the big update comes after the onset
    layers = [layer("dense", [0.0, 0.8, 0.8, 0.8], steps=[0, 1, 2, 3], sig=sig)]
    assert summary(diagnosis.diagnose("r", layers)) == ("saturated", [("unknown", ["dense"], 1)])


def test_the_remedy_lowers_the_largest_learning_rate_before_the_onset():
    sig = signals(3, update=[math.nan, 9.0, 4.5], lr=[0.01, 0.007, 0.0049])
    finding = diagnosis.diagnose("lr_decay", [layer("dense", [0.0, 0.7, 0.75], sig=sig)])["findings"][0]
    assert finding["remedy"].startswith("Lower the learning rate (about 10x, from 0.01 to 0.001)")
    assert "learning rate 0.01" in finding["evidence"]


# -- NaN and Inf -------------------------------------------------------------------------------


def test_nonfinite_activations_during_training_are_divergence():
    diverged = layer("dense", [0.0, 0.9, math.nan], nonfinite=[0.0, 0.0, COUNT])
    finding = diagnosis.diagnose("r", [diverged])["findings"][0]
    assert (finding["cause"], finding["step"]) == ("learning_rate", 90)
    assert finding["evidence"] == (
        "activations of dense NaN or Inf: 0% at step 0, 100% at step 90; "
        "NaN or Inf appearing during training are a sign of divergence"
    )
    assert "keras.optimizers.Adam(learning_rate=schedule, clipnorm=1.0)" in finding["snippet"]


def test_nonfinite_activations_from_the_start_point_to_the_inputs():
    finding = diagnosis.diagnose("r", [layer("dense", [0.0, 0.0], nonfinite=[3.0, 3.0])])["findings"][0]
    assert (finding["cause"], finding["remedy"], finding["snippet"]) == (
        "unknown", diagnosis.remedies.UNKNOWN_NONFINITE, diagnosis.remedies.NONFINITE_SNIPPET)
    assert finding["evidence"].startswith("activations of dense NaN or Inf: <1% at step 0, <1% at step 45")


# -- Grouping and order --------------------------------------------------------------------------


def test_findings_are_ordered_by_onset_then_by_number_of_layers():
    layers = [
        layer("a", [0.0, 0.0, 0.9]),  # learning rate, from step 90
        layer("b", [0.9, 0.9, 0.9]),  # initialization, from step 0
        layer("c", [0.0, 0.9, 0.9]),  # learning rate, from step 45
        layer("d", [0.5, 0.5, 0.5]),  # initialization, from step 0
        layer("e", [0.0, 0.0, 0.0]),
        layer("f", [0.0, 0.1, 0.9], activation="relu", units=10, stuck=[0.0, 0.0, 9.0]),  # dead, from step 90
    ]
    assert summary(diagnosis.diagnose("r", layers)) == ("saturated", [
        ("initialization", ["b", "d"], 0),
        ("learning_rate", ["a", "c"], 45),
        ("learning_rate", ["f"], 90),
    ])


def test_equal_onsets_and_sizes_put_the_worst_share_first():
    layers = [layer("a", [0.0, 0.5]), layer("b", [0.0, 0.0]), layer("c", [0.0, 0.0]),
              layer("d", [0.0, 0.6], activation="relu", units=10, stuck=[0.0, 6.0])]
    assert [f["layers"] for f in diagnosis.diagnose("r", layers)["findings"]] == [["d"], ["a"]]


def test_no_layers_or_no_steps_is_healthy():
    assert diagnosis.diagnose("r", []) == {"run": "r", "status": "healthy", "findings": []}
    empty = diagnosis.layer_series("a", "sigmoid", 4, [], stats([]))
    assert diagnosis.diagnose("r", [empty])["status"] == "healthy"


# -- layer_series checks its input ---------------------------------------------------------------


def test_layer_series_fills_missing_signals_with_nan():
    series = diagnosis.layer_series("a", "tanh", 3, [0, 1], stats([0.0, 0.0]), {"kernelStd": [1.0, 2.0]})
    assert set(series.signals) == set(metadata.SIGNALS_FIELDS)
    assert np.isnan(series.signals["glorotStd"]).all() and series.signals["kernelStd"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("args, error, message", [
    (("a", "gelu", 3, [0], stats([0.0])), ValueError,
     r"activation must be one of 'sigmoid', 'tanh', 'relu', 'hard_sigmoid', 'relu6', 'softsign', 'elu', 'selu', "
     r"'hard_tanh', 'relu\(max_value=V\)', 'elu\(alpha=V\)', 'hard_sigmoid\(slope=V\)'; got 'gelu'"),
    (("a", "relu", 0, [0], stats([0.0])), ValueError, "units must be a positive int; got 0"),
    (("a", "relu", 3, [[0]], stats([0.0])), ValueError, r"steps must be 1-D; got shape \(1, 1\)"),
    (("a", "relu", 3, [5, 5], stats([0.0, 0.0])), ValueError, r"steps must be strictly increasing; got \[5, 5\]"),
    (("a", "relu", 3, [0], {"count": [1.0]}), ValueError, "missing \\['nonfinite', 'saturatedLow'"),
    (("a", "relu", 3, [0, 1], stats([0.0])), ValueError, r"stats\['count'\] must have shape \(2,\) like steps; got \(1,\)"),
    (("a", "relu", 3, [0], [1.0]), TypeError, "stats must be a mapping of field name to array; got list"),
])
def test_layer_series_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        diagnosis.layer_series(*args)


# -- Every remedy snippet is Keras 3 code that runs ------------------------------------------------


def all_snippets(framework=None, train_step=None):
    """One synthetic run per remedy, logged by `framework` from a model with `train_step`; {name: snippet}."""
    sig = signals(3, update=[math.nan, 9.0, 9.0], lr=0.3)
    runs = {
        "init_sigmoid": [layer("a", [0.6] * 3), layer("b", [0.6] * 3)],
        "init_relu": [layer("a", [0.9] * 3, activation="relu", units=8, stuck=[8.0] * 3)],
        "learning_rate_known": [layer("a", [0.0, 0.9, 0.9], sig=sig)],
        "learning_rate_unknown": [layer("a", [0.0, 0.9, 0.9])],
        "learning_rate_clip": [layer("a", [0.0, 0.0, 0.0], nonfinite=[0.0, 5.0, 5.0])],
        "input_scaling": [layer("a", [0.9] * 3), layer("b", [0.0] * 3)],
        "unknown_saturating": [layer("a", [0.9] * 3, activation="tanh", units=16)],
        "unknown_nonfinite": [layer("a", [0.0] * 3, nonfinite=[1.0] * 3)],
        "mismatch": [layer("a", [0.1] * 3, outOfRange=[0.5] * 3)],
        "vanishing": [layer("h%d" % i, [0.0] * 3, units=32, derivative=[0.23] * 3) for i in range(8)],
    }
    snippets = {}
    for name, layers in runs.items():
        layers = [l._replace(framework=framework, train_step=train_step) for l in layers]
        findings = diagnosis.diagnose(name, layers)["findings"]
        assert len(findings) == 1, name
        snippets[name] = findings[0]["snippet"]
    return snippets


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def small_model(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="sigmoid"), keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


def run_snippet(keras, snippet, x_train, model=None):
    pre_activations = np.random.default_rng(1).normal(size=(16, 4)).astype("float32")
    namespace = {"model": model if model is not None else small_model(keras), "x_train": x_train,
                 "pre_activations": pre_activations}
    exec(compile(snippet, "<snippet>", "exec"), namespace)  # pylint: disable=exec-used
    return namespace


def test_every_remedy_snippet_runs_and_builds_what_it_says(keras):
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(32, 4)).astype("float32")
    y = np.arange(32) % 3
    snippets = all_snippets()

    for name, initializer, activation, units in [("init_sigmoid", "GlorotUniform", "sigmoid", 256),
                                                 ("init_relu", "HeNormal", "relu", 8)]:
        built = run_snippet(keras, snippets[name], x)["layer"]
        model = keras.Sequential([keras.Input((4,)), built])
        assert model(x).shape == (32, units)
        assert type(built.kernel_initializer).__name__ == initializer and built.activation.__name__ == activation

    for name, expected_lr in [("learning_rate_known", 0.03), ("learning_rate_unknown", 0.001),
                              ("learning_rate_clip", 0.001)]:
        namespace = run_snippet(keras, snippets[name], x)
        model = namespace["model"]
        assert model.optimizer is namespace["optimizer"]
        assert float(model.optimizer.learning_rate) == pytest.approx(expected_lr)
        assert model.loss == "sparse_categorical_crossentropy"
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert run_snippet(keras, snippets["learning_rate_clip"], x)["optimizer"].clipnorm == 1.0

    namespace = run_snippet(keras, snippets["input_scaling"], x)
    normalized = namespace["normalizer"](x)
    np.testing.assert_allclose(np.mean(normalized, axis=0), 0.0, atol=1e-4)
    assert namespace["model"](x).shape == (32, 3)

    block = run_snippet(keras, snippets["unknown_saturating"], x)["block"]
    assert block(x).shape == (32, 16) and type(block.layers[1]).__name__ == "BatchNormalization"

    x_nan = x.copy()
    x_nan[0, 0] = np.nan
    namespace = run_snippet(keras, snippets["unknown_nonfinite"], x_nan)
    assert np.isfinite(namespace["x_train"]).all()

    pb = run_snippet(keras, snippets["mismatch"], x)["pb"]
    assert [v.tag for v in pb.value] == ["a", "a/units"]
    assert pb.value[0].metadata.plugin_data.plugin_name == "saturation"

    from tensorboard_plugin_saturation import activations as activations_lib

    for name in list(activations_lib.ACTIVATIONS) + ["relu(max_value=6)"]:
        layers = [layer("a", [0.1] * 3, outOfRange=[0.5] * 3)._replace(activation=name)]
        [finding] = diagnosis.diagnose("r", layers)["findings"]
        pb = run_snippet(keras, finding["snippet"], x)["pb"]
        assert pb.value[0].tag == "a", name

    block = run_snippet(keras, snippets["vanishing"], x)["block"]
    assert block(np.ones((2, 32), "float32")).shape == (2, 32)
    assert [type(l).__name__ for l in block.layers].count("Add") == 4


def custom_step_model(keras):
    """A model with its own train_step, compiled without a loss (as keras-io's VAE)."""
    import tensorflow as tf

    class CustomStep(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(8, activation="sigmoid")
            self.out = keras.layers.Dense(3)

        def call(self, x):
            return self.out(self.hidden(x))

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, self(x), from_logits=True))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    model = CustomStep()
    model.compile(optimizer=keras.optimizers.Adam(0.01))
    return model


def test_custom_train_step_snippets_do_not_assume_a_compiled_loss(keras):
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(32, 4)).astype("float32")
    y = np.arange(32) % 3
    snippets = all_snippets(framework="keras", train_step="custom")
    assert "loss=" not in snippets["learning_rate_known"]
    model = custom_step_model(keras)
    model(x)
    namespace = run_snippet(keras, snippets["learning_rate_known"], x, model)
    assert namespace["model"] is model and model.optimizer is namespace["optimizer"]
    assert float(model.optimizer.learning_rate) == pytest.approx(0.03)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)

    namespace = run_snippet(keras, snippets["input_scaling"], x, model)
    assert namespace["model"] is model
    np.testing.assert_allclose(np.mean(namespace["x_train"], axis=0), 0.0, atol=1e-4)
    model.fit(namespace["x_train"], y, epochs=1, batch_size=16, verbose=0)
    for name in ("init_sigmoid", "unknown_saturating", "vanishing"):
        assert snippets[name] == all_snippets()[name]  # nothing there depends on compile


# -- No false alarm on healthy networks trained for real ------------------------------------------


class _Logger:
    """Logs every probed layer with saturation_pb, plus the callback's signals, at step 0 and each epoch end."""

    def __init__(self, keras, logdir, probe, layers, activations):
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._keras = keras
        self._writer = EventFileWriter(logdir)
        self._probe = probe
        self._layers = layers
        self._activations = activations
        self._probe_model = keras.Model(layers[0].input, [t for l in layers for t in (l.input, l.output)])
        self._previous = {}

    def log(self, model):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util

        from tensorboard_plugin_saturation import summary

        step = int(model.optimizer.iterations.numpy())
        outputs = [np.asarray(t) for t in self._probe_model(self._probe)]
        lr = float(model.optimizer.learning_rate)
        for index, (layer_, activation) in enumerate(zip(self._layers, self._activations)):
            x, y = outputs[2 * index], outputs[2 * index + 1]
            pb = summary.saturation_pb(layer_.name, y, activation=activation, layer_index=index)
            kernel = np.asarray(layer_.kernel, np.float64)
            fan_in = int(np.prod(kernel.shape[:-1]))
            fan_out = int(np.prod(kernel.shape[:-2])) * kernel.shape[-1]
            previous = self._previous.get(layer_.name)
            ratio = np.linalg.norm(kernel - previous) / np.linalg.norm(previous) if previous is not None else np.nan
            self._previous[layer_.name] = kernel
            row = np.array([x.std(), np.abs(x).max(), kernel.std(), math.sqrt(2.0 / (fan_in + fan_out)), ratio, lr])
            tag = layer_.name + metadata.SIGNALS_SUFFIX
            pb.value.add(
                tag=tag,
                metadata=metadata.create_summary_metadata(tag, None, dict(
                    metadata.signals_content(layer_.name), fields=list(metadata.SIGNALS_FIELDS[: len(row)]))),
                tensor=tensor_util.make_tensor_proto(row),
            )
            self._writer.add_event(event_pb2.Event(step=step, wall_time=1.0 + step, summary=pb))

    def callback(self):
        logger = self

        class Callback(self._keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                logger.log(self.model)

        return Callback()

    def close(self):
        self._writer.close()


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    x = data.data.astype("float32")
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)
    return x, data.target


def train_and_diagnose(keras, digits, tmp_path, name, build, learning_rate, epochs, image=False):
    """Trains on the digits, logs, and diagnoses the run read back with TensorBoard's loading code.

    Returns (diagnosis, the run's `LayerSeries`, test accuracy).
    """
    keras.utils.set_random_seed(0)
    x, y = digits
    if image:
        x = x.reshape(-1, 8, 8, 1)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    probed = [l for l in model.layers if getattr(l, "activation", None) is not None
              and l.activation.__name__ in ("sigmoid", "tanh", "relu")]
    logger = _Logger(keras, str(tmp_path / name), x[:256], probed, [l.activation.__name__ for l in probed])
    logger.log(model)
    model.fit(x[:1400], y[:1400], epochs=epochs, batch_size=32, verbose=0, callbacks=[logger.callback()])
    logger.close()
    accuracy = model.evaluate(x[1400:], y[1400:], verbose=0)[1]
    reader = report.open_logdir(str(tmp_path))
    layers = diagnosis.read_run(reader, report.CONTEXT, report.EXPERIMENT_ID, name)
    return diagnosis.diagnose(name, layers), layers, accuracy


def dense_net(keras, activation, width, depth, initializer="glorot_uniform"):
    hidden = [keras.layers.Dense(width, activation=activation, kernel_initializer=initializer) for _ in range(depth)]
    return keras.Sequential([keras.Input((64,))] + hidden + [keras.layers.Dense(10, activation="softmax")])


def conv_net(keras, activation, initializer):
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation=activation, kernel_initializer=initializer),
        keras.layers.Conv2D(16, 3, padding="same", activation=activation, kernel_initializer=initializer),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


# name: (build(keras), Adam learning rate, epochs, image input)
HEALTHY_NETWORKS = {
    "sigmoid_mlp": (lambda k: dense_net(k, "sigmoid", 64, 3), 3e-3, 6, False),
    "tanh_mlp": (lambda k: dense_net(k, "tanh", 64, 3), 1e-3, 4, False),
    "relu_mlp": (lambda k: dense_net(k, "relu", 64, 3, "he_normal"), 1e-3, 4, False),
    "relu_cnn": (lambda k: conv_net(k, "relu", "he_normal"), 3e-3, 4, True),
    "tanh_cnn": (lambda k: conv_net(k, "tanh", "glorot_uniform"), 3e-3, 4, True),
}


@pytest.mark.parametrize("name", list(HEALTHY_NETWORKS))
def test_healthy_trained_networks_are_healthy(keras, digits, tmp_path, name):
    build, learning_rate, epochs, image = HEALTHY_NETWORKS[name]
    result, layers, accuracy = train_and_diagnose(
        keras, digits, tmp_path, name, lambda: build(keras), learning_rate, epochs, image)
    assert accuracy > 0.85, "the network did not learn: accuracy %.3f" % accuracy
    assert len(layers) >= 2 and all(layer.signals is not None for layer in layers)
    assert result == {"run": name, "status": "healthy", "findings": []}


def test_a_network_that_learned_to_use_saturating_units_is_healthy(keras, digits, tmp_path):
    result, layers, accuracy = train_and_diagnose(
        keras, digits, tmp_path, "sigmoid_moderate", lambda: dense_net(keras, "sigmoid", 64, 2), 1e-2, 10)
    last_shares = [layer.stats["saturatedLow"][-1] + layer.stats["saturatedHigh"][-1] for layer in layers]
    assert accuracy > 0.85, "the network did not learn: accuracy %.3f" % accuracy
    assert max(last_shares) >= 0.1, "expected a moderate learned share of saturated units; got %s" % last_shares
    assert max(layer.stats["meanDerivative"][-1] for layer in layers) > 0.05
    assert result == {"run": "sigmoid_moderate", "status": "healthy", "findings": []}


@pytest.mark.parametrize("name, initializer, learning_rate, raw, cause", [
    ("bad_init", "random_normal", 1e-3, False, "initialization"),
    ("high_lr", "glorot_uniform", 0.3, False, "learning_rate"),
    ("raw_inputs", "glorot_uniform", 1e-3, True, "input_scaling"),
])
def test_broken_trained_networks_get_their_cause(keras, digits, tmp_path, name, initializer, learning_rate, raw, cause):
    if initializer == "random_normal":
        initializer = keras.initializers.RandomNormal(stddev=1.0)
    data = digits
    if raw:  # pixel values 0-255
        data = (pytest.importorskip("sklearn.datasets").load_digits().data.astype("float32") * (255 / 16), digits[1])
    result, _, _ = train_and_diagnose(
        keras, data, tmp_path, name, lambda: dense_net(keras, "sigmoid", 64, 2, initializer), learning_rate, 1)
    assert [f["cause"] for f in result["findings"]] == [cause]


def test_a_custom_train_step_model_logged_by_the_callback_gets_a_snippet_without_a_compiled_loss(keras, tmp_path):
    from tensorboard_plugin_saturation import SaturationCallback

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32") + (x[:, 1] > 0).astype("int32")
    model = custom_step_model(keras)
    model.compile(optimizer=keras.optimizers.Adam(0.5))
    callback = SaturationCallback(str(tmp_path / "vae_like"), x[:64], update_freq=4)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    result = report.diagnose_logdir(str(tmp_path))["runs"]["vae_like"]
    [finding] = result["findings"]
    assert finding["cause"] == "learning_rate"
    assert finding["snippet"].endswith("model.compile(optimizer=optimizer)  # your train_step computes the loss\n")
    namespace = run_snippet(keras, finding["snippet"], x, model)
    assert float(namespace["model"].optimizer.learning_rate) == pytest.approx(0.05)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
