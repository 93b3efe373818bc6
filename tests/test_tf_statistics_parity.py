"""The TF op computes the numbers of the numpy reference, on every row of its edge-case table.

One table of data runs through `numpy_statistics.compute` (numpy) and through the TF
op: the public path eagerly and inside `tf.function`, and each of its three
implementations (the fused XLA pass, its formulas as plain TF ops and the
generic one) eagerly. Counts,
histogram, per-unit shares and saturated fractions must be equal; the float
moments, derivative and phi within 1e-6 relative (or 1e-9 absolute).
"""


import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from tensorboard.backend.event_processing import event_file_loader  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

from tensorboard_plugin_saturation import _tf_statistics, activations, metadata, numpy_statistics, summary  # noqa: E402

EXACT_FIELDS = ("count", "nonfinite", "saturatedLow", "saturatedHigh", "stuckUnits", "outOfRange")
CLOSE_FIELDS = ("meanDerivative", "phi", "mean", "std")
ACTIVATIONS = ("sigmoid", "tanh", "relu")  # the fused pass's; every other one takes the generic path
OTHER_ACTIVATIONS = (
    "hard_sigmoid", "relu6", "softsign", "elu", "selu", "hard_tanh",
    "relu(max_value=0.7)", "elu(alpha=0.3)", "hard_sigmoid(slope=0.2)",
)
F32 = np.float32
SELU_SCALE, SELU_ALPHA = activations.SELU_SCALE, activations.SELU_ALPHA


def _in_range(rng, shape, act):
    """Realistic outputs of `act` (some of them saturated)."""
    pre = rng.standard_normal(shape) * 3.0
    elu = lambda alpha: np.where(pre > 0, pre, alpha * (np.exp(np.minimum(pre, 0)) - 1))
    return {
        "sigmoid": lambda: 1.0 / (1.0 + np.exp(-pre)),
        "tanh": lambda: np.tanh(pre),
        "relu": lambda: np.where(pre > 0.5, pre, 0.0),
        "hard_sigmoid": lambda: np.clip(pre / 6 + 0.5, 0, 1),
        "relu6": lambda: np.clip(pre * 2, 0, 6),
        "softsign": lambda: pre / (1 + np.abs(pre)),
        "elu": lambda: elu(1.0),
        "selu": lambda: SELU_SCALE * elu(SELU_ALPHA),
        "hard_tanh": lambda: np.clip(pre, -1, 1),
        "relu(max_value=0.7)": lambda: np.clip(pre, 0, F32(0.7)),
        "elu(alpha=0.3)": lambda: elu(0.3),
        "hard_sigmoid(slope=0.2)": lambda: np.clip(pre * 0.2 + 0.5, 0, 1),
    }[act]()


def _middle(act):
    """A value inside the range, saturated by no rule."""
    fused = {"sigmoid": 0.3, "tanh": -0.3, "relu": 0.7, "relu6": 0.7}
    return fused.get(act, -0.1 if activations.get(act).low < 0 else 0.3)


def _asymptotes(act):
    """The saturating ends (an end that does not saturate: the low one again)."""
    a = activations.get(act)
    low = a.low if a.saturates_low else a.high
    return (low, a.high if a.saturates_high else low)


def _edges(act):
    """Every interior bin edge and its float32 neighbours on both sides."""
    edges = np.asarray(activations.get(act).edges[1:-1], F32)
    return np.stack([np.nextafter(edges, F32(-np.inf)), edges, np.nextafter(edges, F32(np.inf))], 1)


def _thresholds(act, eps=0.01):
    """The eps thresholds and the range bounds, as rounded by the reference, with neighbours."""
    a = activations.get(act)
    points = [F32(a.low + eps), F32(a.low)]
    if np.isfinite(a.high):
        points += [F32(a.high - eps), F32(a.high)]
    points = np.asarray(points, F32)
    return np.stack([np.nextafter(points, F32(-np.inf)), points, np.nextafter(points, F32(np.inf))], 1)


def _case(name, act):
    rng = np.random.default_rng(sum(map(ord, name + act)))
    low, high = _asymptotes(act)
    if name == "constant":
        return np.full((20, 3), _middle(act), F32)
    if name == "all_saturated":
        return np.array([[low, high], [low, high]], F32)
    if name == "half_saturated":
        return np.array([[low, _middle(act)], [_middle(act), high]], F32)
    if name == "nan_and_inf":
        return np.array([[np.nan, _middle(act), np.inf], [-np.inf, high, _middle(act)]], F32)
    if name == "only_nonfinite":
        return np.array([[np.nan, np.inf], [-np.inf, np.nan]], F32)
    if name == "one_sample":
        return np.array([low, _middle(act), high], F32)
    if name == "conv_nhwc":
        return _in_range(rng, (2, 5, 5, 3), act).astype(F32)
    if name == "large_values":  # squares overflow float32; no cancellation (any summation order agrees)
        return np.array([[1e30, 3e38, 2e30], [1e20, 5e37, 7e35], [-4e25, 2e38, 1e-30]], F32)
    if name == "out_of_range":
        return np.array([[-3.0, 0.5, 4.0, _middle(act)]], F32)
    if name == "on_bin_edges":
        return _edges(act)
    if name == "on_eps_thresholds":
        return _thresholds(act)
    if name == "subnormals":
        tiny = np.finfo(F32).tiny
        return np.array([[tiny / 4, -tiny / 4, -0.0, 0.0, tiny]], F32)
    if name == "empty":
        return np.zeros((0, 4), F32)
    if name == "float64":
        near = 0.01 if act != "tanh" else -0.99
        return np.array([[near + 1e-12, near - 1e-12], [0.5, 1e-300]], np.float64)
    if name == "float16":
        return _in_range(rng, (30, 4), act).astype(np.float16)
    if name == "int32":
        return rng.integers(-2, 3, (10, 3)).astype(np.int32)
    if name == "uint8":
        return rng.integers(0, 3, (10, 3)).astype(np.uint8)
    if name == "whole_steps":  # 256 rows: four steps of the fused loop and no remainder
        return _in_range(rng, (256, 300), act).astype(F32)
    if name == "steps_and_remainder":
        return _in_range(rng, (200, 300), act).astype(F32)
    if name == "narrow_folded":  # 5 units: 52 rows side by side per lane, plus a remainder
        return _in_range(rng, (7000, 5), act).astype(F32)
    if name == "subnormals_in_the_loop":  # through the XLA loop, not the remainder's plain ops
        data = _in_range(rng, (128, 256), act).astype(F32)
        tiny = np.finfo(F32).tiny
        data[5, :5] = [tiny / 4, -tiny / 4, -0.0, 0.0, tiny]
        data[77, 100:104] = [-tiny / 2, -0.0, -tiny, np.nextafter(F32(0), F32(-1))]
        return data
    if name == "padded_lanes":  # 10 units: 25 rows side by side fill 250 of the kernel's 256 lanes
        return _in_range(rng, (3 * 64 * 25 + 7, 10), act).astype(F32)
    if name == "overlapping_blocks":  # 128 units, 2 rows a lane: a kernel call of 2048 rows, then one
        return _in_range(rng, (2 * (2048 + 3 * 64) + 3, 128), act).astype(F32)  # ending at the last step
    if name == "nan_in_the_loop":
        data = _in_range(rng, (128, 256), act).astype(F32)
        data[70, 3] = np.nan
        return data
    raise KeyError(name)


CASES = (
    "constant", "all_saturated", "half_saturated", "nan_and_inf", "only_nonfinite", "one_sample",
    "conv_nhwc", "large_values", "out_of_range", "on_bin_edges", "on_eps_thresholds", "subnormals",
    "empty", "float64", "float16", "int32", "uint8", "whole_steps", "steps_and_remainder",
    "narrow_folded", "subnormals_in_the_loop", "nan_in_the_loop", "padded_lanes", "overlapping_blocks",
)
PATHS = ("auto-eager", "auto-function", "fused-eager", "plain-eager", "generic-eager")


def _tf_stats(data, act, path):
    implementation, mode = path.split("-")
    fn = lambda d: _tf_statistics.compute(d, activations.get(act), 0.01, implementation)
    if mode == "function":
        fn = tf.function(fn)
    layer, units = fn(tf.constant(data))
    return layer.numpy(), units.numpy()


def assert_same_statistics(layer, units, expected):
    """`layer`/`units` equal the reference `expected` under the parity rules."""
    fields = len(metadata.STATS_FIELDS)
    assert layer.dtype == np.float64 and units.dtype == np.uint8
    np.testing.assert_array_equal(layer[fields:], expected.layer[fields:], err_msg="histogram")
    np.testing.assert_array_equal(units, expected.units, err_msg="units")
    for name in EXACT_FIELDS:
        got, want = numpy_statistics.field(layer, name), numpy_statistics.field(expected.layer, name)
        assert got == want or (np.isnan(got) and np.isnan(want)), (name, got, want)
    for name in CLOSE_FIELDS:
        got, want = numpy_statistics.field(layer, name), numpy_statistics.field(expected.layer, name)
        if np.isnan(want):
            assert np.isnan(got), (name, got)
        else:
            assert abs(got - want) <= max(1e-9, 1e-6 * abs(want)), (name, got, want)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("case", CASES)
def test_tf_op_matches_the_numpy_reference(case, act, path):
    data = _case(case, act)
    layer, units = _tf_stats(data, act, path)
    assert_same_statistics(layer, units, numpy_statistics.compute(data, act, 0.01))


def _plain_formulas_hold(data, act):
    """Whether the data lie where the fused pass's formulas hold: finite values,
    within [0, 1] for sigmoid (-0.0 not) and [-1, 1] for tanh; float64 data take
    the generic ops, which hold everywhere."""
    x = np.asarray(data)
    if x.dtype == np.float64:
        return True
    x = x.astype(F32)
    if not np.all(np.isfinite(x)):
        return False
    if act == "sigmoid":
        return bool(np.all((x >= 0) & (x <= 1) & ~((x == 0) & np.signbit(x))))
    if act == "tanh":
        return bool(np.all(np.abs(x) <= 1))
    return True


@pytest.mark.parametrize("act", ACTIVATIONS + OTHER_ACTIVATIONS)
@pytest.mark.parametrize("case", CASES)
def test_the_plain_ops_stand_exactly_where_the_fused_formulas_hold_and_then_match_the_reference(case, act):
    """`compute_plain` (no fallback): its result equals the reference whenever it says
    it stands, and it stands on every row whose values the formulas cover."""
    data = _case(case, act)
    layer, units, stands = _tf_statistics.compute_plain(
        _tf_statistics.validate(tf.constant(data)), activations.get(act), 0.01
    )
    assert bool(stands) == (act not in ACTIVATIONS or _plain_formulas_hold(data, act))
    if bool(stands):
        assert_same_statistics(layer.numpy(), units.numpy(), numpy_statistics.compute(data, act, 0.01))


@pytest.mark.parametrize("act, in_range", [("sigmoid", lambda v: (v >= 0) & (v <= 1)), ("relu", np.isfinite)])
def test_each_histogram_key_of_the_plain_ops_holds_values_of_one_bin(act, in_range):
    """Every float32 that the fused formulas cover shares its key (top bits) only with
    values of its own bin, and the key is folded into that bin."""
    spec = _tf_statistics._spec(act, 0.01)
    bits = np.arange(2 ** (32 - spec.key_shift), dtype=np.uint64) << spec.key_shift
    first = bits.astype(np.uint32).view(F32)  # the key's value nearest 0
    last = (bits + (1 << spec.key_shift) - 1).astype(np.uint32).view(F32)  # and farthest from it
    edges = np.asarray(activations.get(act).edges[1:-1], F32)
    with np.errstate(invalid="ignore"):
        covered = in_range(first)
        clipped_last = np.where(in_range(last), last, first)  # sigmoid's key of 1.0 also holds values above 1
    bin_first = np.searchsorted(edges, first, side="right")
    bin_last = np.searchsorted(edges, clipped_last, side="right")
    assert covered.sum() > 100
    np.testing.assert_array_equal(bin_first[covered], bin_last[covered])
    np.testing.assert_array_equal(_tf_statistics._key_bins(act, spec.key_shift)[covered], bin_first[covered])


@pytest.mark.parametrize("path", ("auto-function", "generic-eager"))
@pytest.mark.parametrize("act", OTHER_ACTIVATIONS)
@pytest.mark.parametrize("case", CASES)
def test_tf_op_matches_the_numpy_reference_for_the_other_activations(case, act, path):
    """Activations without a fused pass: the public path in `tf.function` and the generic one."""
    data = _case(case, act)
    layer, units = _tf_stats(data, act, path)
    assert_same_statistics(layer, units, numpy_statistics.compute(data, act, 0.01))


@pytest.mark.parametrize("act", OTHER_ACTIVATIONS)
def test_asking_for_the_fused_pass_of_another_activation_runs_the_generic_one(act):
    data = _case("nan_in_the_loop", act)
    layer, units = _tf_stats(data, act, "fused-eager")
    assert_same_statistics(layer, units, numpy_statistics.compute(data, act, 0.01))


def test_hand_computed_sigmoid_row():
    y = np.array([[0.005, 0.5, 0.995]], F32)
    layer, units = _tf_stats(y, "sigmoid", "auto-function")
    s = {name: numpy_statistics.field(layer, name) for name in metadata.STATS_FIELDS}
    assert s["count"] == 3 and s["nonfinite"] == 0 and s["outOfRange"] == 0
    assert s["saturatedLow"] == 1 / 3 and s["saturatedHigh"] == 1 / 3
    assert s["stuckUnits"] == 2 and units.tolist() == [255, 0, 255]
    # y(1 - y) = 0.004975, 0.25, 0.004975 and |2y - 1| = 0.99, 0, 0.99, with y rounded to float32.
    assert s["meanDerivative"] == pytest.approx(0.086649998389557, rel=1e-6)
    assert s["phi"] == pytest.approx(0.6600000032534202, rel=1e-6)
    assert s["mean"] == pytest.approx(0.5000000015522043, rel=1e-6)
    assert s["std"] == pytest.approx(0.40416580955152925, rel=1e-6)  # sqrt(2 * 0.495**2 / 3)
    assert np.flatnonzero(layer[len(metadata.STATS_FIELDS):]).tolist() == [0, 16, 31]


def test_hand_computed_tanh_row():
    y = np.array([[-0.995, -0.98, 0.0, 0.98, 0.995]], F32)
    layer, units = _tf_stats(y, "tanh", "auto-function")
    assert numpy_statistics.field(layer, "saturatedLow") == 0.2 and numpy_statistics.field(layer, "saturatedHigh") == 0.2
    assert units.tolist() == [255, 0, 0, 0, 255]
    assert numpy_statistics.field(layer, "phi") == pytest.approx(0.79, rel=1e-6)  # mean |y|
    assert numpy_statistics.field(layer, "meanDerivative") == pytest.approx(
        (2 * (1 - 0.995**2) + 2 * (1 - 0.98**2) + 1) / 5, rel=1e-6
    )
    histogram = layer[len(metadata.STATS_FIELDS):]
    # bin = floor(16 y) + 16: -0.995 and -0.98 fall in [-1, -0.9375), 0 in [0, 1/16), 0.98 and 0.995 in the last.
    assert histogram[0] == 2 and histogram[16] == 1 and histogram[31] == 2 and histogram.sum() == 5


def test_hand_computed_relu_rows():
    y = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]], F32)
    layer, units = _tf_stats(y, "relu", "auto-function")
    assert numpy_statistics.field(layer, "saturatedLow") == 0.5 and numpy_statistics.field(layer, "saturatedHigh") == 0
    assert units.tolist() == [255, 0, 128] and numpy_statistics.field(layer, "stuckUnits") == 1
    assert numpy_statistics.field(layer, "meanDerivative") == 0.5 and np.isnan(numpy_statistics.field(layer, "phi"))
    histogram = layer[len(metadata.STATS_FIELDS):]
    # bin 0: y < 2**-126 (the zeros); [1, 2) is bin 14, [2, 4) bin 15.
    assert histogram[0] == 3 and histogram[14] == 1 and histogram[15] == 2 and histogram.sum() == 6


# Hand-computed rows of the other activations (the same rows as tests/test_numpy_statistics.py):
# activation, data, exact fields, non-empty histogram bins.
_SELU_LOW32 = 1.7580993175506592  # -float32(-scale * alpha)
HAND_ROWS = [
    ("hard_sigmoid", [[0.0, 0.25, 1.0], [0.0, 0.5, 1.0]],
     dict(saturatedLow=2 / 6, saturatedHigh=2 / 6, stuckUnits=2, meanDerivative=2 / 6 / 6, phi=0.75, outOfRange=0),
     {0: 2, 9: 1, 17: 1, 33: 2}),
    ("hard_sigmoid(slope=0.2)", [[0.0, 0.25, 1.0, 0.5]],
     dict(saturatedLow=0.25, saturatedHigh=0.25, meanDerivative=0.1), {0: 1, 9: 1, 17: 1, 33: 1}),
    ("relu6", [[0.0, 3.0, 6.0], [0.0, 1.0, 6.0]],
     dict(saturatedLow=2 / 6, saturatedHigh=2 / 6, stuckUnits=2, meanDerivative=1 / 3, phi=np.nan),
     {0: 2, 14: 1, 15: 1, 17: 2}),
    ("relu(max_value=0.5)", [[0.0, 0.25, 0.5, 0.75]],
     dict(saturatedLow=0.25, saturatedHigh=0.5, outOfRange=0.25, meanDerivative=0.25), {0: 1, 12: 1, 13: 2}),
    ("hard_tanh", [[-1.0, 0.0, 1.0], [-1.0, 0.5, 1.0]],
     dict(saturatedLow=2 / 6, saturatedHigh=2 / 6, stuckUnits=2, meanDerivative=1 / 3, phi=0.75),
     {0: 2, 17: 1, 25: 1, 33: 2}),
    ("softsign", [[-0.995, -0.5, 0.0, 0.5, 0.995]],
     dict(saturatedLow=0.2, saturatedHigh=0.2, meanDerivative=(2 * 0.0049999952316284**2 + 1.5) / 5, phi=(2 * 0.9950000047683716 + 1) / 5),
     {0: 1, 8: 1, 16: 1, 24: 1, 31: 1}),
    ("elu", [[-1.0, -0.995, -0.5, 0.0, 2.0]],
     dict(saturatedLow=0.4, saturatedHigh=0, stuckUnits=2, meanDerivative=(0.0049999952316284 + 2.5) / 5, phi=np.nan),
     {0: 2, 8: 1, 16: 1, 30: 1}),
    ("selu", [[-_SELU_LOW32, -1.75, 0.0, 1.0507]],
     dict(saturatedLow=0.5, outOfRange=0,
          meanDerivative=((-1.75 + _SELU_LOW32) + _SELU_LOW32 + activations.SELU_SCALE) / 4),
     {1: 1, 2: 1, 16: 1, 29: 1}),
]


@pytest.mark.parametrize("act, data, fields, bins", HAND_ROWS, ids=[row[0] for row in HAND_ROWS])
def test_hand_computed_rows_of_the_other_activations(act, data, fields, bins):
    layer, _ = _tf_stats(np.array(data, F32), act, "auto-function")
    for name, want in fields.items():
        got = numpy_statistics.field(layer, name)
        if np.isnan(want):
            assert np.isnan(got), name
        else:
            assert got == pytest.approx(want, rel=1e-9, abs=1e-15), name
    histogram = layer[len(metadata.STATS_FIELDS):]
    assert len(histogram) == len(activations.get(act).edges) - 1
    assert {int(i): int(histogram[i]) for i in np.flatnonzero(histogram)} == bins


@pytest.mark.parametrize("mode, act", [
    ("eager", "tanh"), ("function", "tanh"), ("eager", "selu"), ("function", "relu(max_value=0.7)"),
])
def test_saturation_writes_the_tensors_of_saturation_pb(tmp_path, mode, act):
    data = _in_range(np.random.default_rng(7), (70, 6), act).astype(F32)
    writer = tf.summary.create_file_writer(str(tmp_path))

    def log():
        with writer.as_default():
            return summary.saturation("hidden", data, step=3, description="d", activation=act, layer_index=1)

    assert bool((tf.function(log) if mode == "function" else log)())
    writer.close()
    written = {}
    for path in sorted(tmp_path.iterdir()):
        for event in event_file_loader.EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                written[value.tag] = (event.step, value)
    expected = {v.tag: v for v in summary.saturation_pb("hidden", data, "d", activation=act, layer_index=1).value}
    assert sorted(written) == sorted(expected) == ["hidden", "hidden/units"]
    for tag, (step, value) in written.items():
        assert step == 3
        assert value.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME
        assert metadata.parse_plugin_metadata(value.metadata.plugin_data.content) == metadata.parse_plugin_metadata(
            expected[tag].metadata.plugin_data.content
        )
        assert value.metadata.summary_description == expected[tag].metadata.summary_description
    layer = tensor_util.make_ndarray(written["hidden"][1].tensor)
    units = tensor_util.make_ndarray(written["hidden/units"][1].tensor)
    pb = numpy_statistics.Statistics(
        layer=tensor_util.make_ndarray(expected["hidden"].tensor),
        units=tensor_util.make_ndarray(expected["hidden/units"].tensor),
    )
    assert_same_statistics(layer, units, pb)


def test_auto_path_uses_the_fused_pass_on_cpu_float32_only():
    assert _tf_statistics.fused_applies(tf.constant([[0.5]], tf.float32))
    assert _tf_statistics.fused_applies(tf.constant([[1]], tf.int64))
    assert not _tf_statistics.fused_applies(tf.constant([[0.5]], tf.float64))


def test_unknown_implementation_is_rejected():
    with pytest.raises(ValueError, match=r"implementation must be 'auto', 'fused', 'plain' or 'generic'; got 'fast'"):
        _tf_statistics.compute(tf.constant([[0.5]]), activations.get("sigmoid"), 0.01, "fast")


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_large_layer_matches_the_reference(act):
    data = _in_range(np.random.default_rng(11), (2048, 2048), act).astype(F32)
    layer, units = _tf_stats(data, act, "auto-function")
    assert_same_statistics(layer, units, numpy_statistics.compute(data, act, 0.01))


@pytest.fixture
def chunk_steps(monkeypatch):
    """Sets how many loop steps the fused pass carries in 16-bit fields, and
    compiles fresh graphs for it."""

    def set_steps(steps):
        monkeypatch.setattr(_tf_statistics, "_CHUNK_STEPS", steps)
        _tf_statistics._kernel.cache_clear()
        _tf_statistics._graph.cache_clear()

    yield set_steps
    _tf_statistics._kernel.cache_clear()
    _tf_statistics._graph.cache_clear()


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("units", [300, 40])  # one lane per unit; 7 units folded side by side
def test_counts_carried_over_several_chunks_match_the_reference(act, units, chunk_steps):
    chunk_steps(2)
    rows = 7 * 64 * _tf_statistics._fold(units) + 5  # 7 loop steps (4 chunks) and 5 rows left over
    data = _in_range(np.random.default_rng(5), (rows, units), act).astype(F32)
    layer, units_out = _tf_stats(data, act, "fused-function")
    assert_same_statistics(layer, units_out, numpy_statistics.compute(data, act, 0.01))


def test_a_16_bit_field_filled_to_its_limit_matches_the_reference():
    # 1023 steps of 64 rows bring one class of every lane to 65472 (of 65535) in the
    # first chunk; the 200 rows after it are a second chunk and a leftover.
    rows = _tf_statistics._CHUNK_STEPS * 64 + 200
    data = np.full((rows, 256), 0.995, F32)
    data[::97] = _in_range(np.random.default_rng(3), data[::97].shape, "sigmoid")
    layer, units = _tf_stats(data, "sigmoid", "fused-function")
    expected = numpy_statistics.compute(data, "sigmoid", 0.01)
    assert_same_statistics(layer, units, expected)
    assert expected.layer[len(metadata.STATS_FIELDS) + 31] > 65472 * 256 * 0.98


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_every_layer_of_up_to_256_units_runs_one_kernel_shape(act, monkeypatch):
    """The compiled kernel sees [2048, 256] blocks whatever the layer's shape (one
    XLA compilation per activation); a 300-unit layer gets 512 lanes."""
    seen = []
    kernel = _tf_statistics._kernel

    def recording_kernel(activation, eps):
        def run(x, shift, first, steps):
            seen.append(tuple(x.shape))
            return kernel(activation, eps)(x, shift, first, steps)
        return run

    monkeypatch.setattr(_tf_statistics, "_kernel", recording_kernel)
    shapes = {
        (64, 256): [(2048, 256)], (3000, 100): [(2048, 256)], (5000, 16): [(2048, 256)],
        (2500, 256): [(2048, 256)] * 2, (5000, 256): [(2048, 256)] * 3,
        (600, 300): [(2048, 512)], (2200, 300): [(2048, 512)] * 2,
    }
    for shape, blocks in shapes.items():
        seen.clear()
        data = _in_range(np.random.default_rng(1), shape, act).astype(F32)
        layer, units = _tf_statistics._fused(tf.constant(data), activations.get(act), 0.01)  # eagerly
        assert seen == blocks, shape
        assert_same_statistics(layer.numpy(), units.numpy(), numpy_statistics.compute(data, act, 0.01))


def test_the_statistics_graph_is_traced_once_for_every_shape():
    act = activations.get("tanh")
    for shape in [(5, 7), (300, 2, 30), (70, 256), (1, 1000)]:
        _tf_statistics.compute(tf.zeros(shape), act, 0.02)
    assert _tf_statistics._graph("fused", act, 0.02, tf.float32).experimental_get_tracing_count() == 1


def test_a_16_bit_field_filled_to_its_limit_within_one_kernel_call_matches_the_reference(monkeypatch):
    # As above, with kernel calls of 1023 steps: the fields of one call reach 65472.
    monkeypatch.setattr(_tf_statistics, "_CALL_ROWS", _tf_statistics._CHUNK_STEPS * 64)
    _tf_statistics._graph.cache_clear()
    try:
        test_a_16_bit_field_filled_to_its_limit_matches_the_reference()
    finally:
        _tf_statistics._graph.cache_clear()
