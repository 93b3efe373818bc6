"""The torch statistics equal the numpy reference: counts, bins and units exactly."""

import numpy as np
import pytest
import torch

from tensorboard_plugin_saturation import _torch_statistics
from tensorboard_plugin_saturation import activations
from tensorboard_plugin_saturation import numpy_statistics

_MOMENTS = [numpy_statistics._FIELD_INDEX[f] for f in ("meanDerivative", "phi", "mean", "std")]


def _assert_equals_reference(array, activation):
    """Torch's statistics of `array` equal numpy's: units and counts exactly, the moments to 1e-12."""
    expected = numpy_statistics.compute(array, activation)
    got = _torch_statistics.compute(torch.from_numpy(array), activation)
    np.testing.assert_array_equal(got.units, expected.units)
    exact = np.ones(len(expected.layer), bool)
    exact[_MOMENTS] = False
    np.testing.assert_array_equal(got.layer[exact], expected.layer[exact])
    np.testing.assert_allclose(got.layer[~exact], expected.layer[~exact], rtol=1e-12, atol=1e-15, equal_nan=True)


def _cases():
    rng = np.random.default_rng(0)
    pre = rng.standard_normal((200, 9)) * 4
    sigmoid = 1 / (1 + np.exp(-pre))
    tanh = np.tanh(pre)
    relu = np.maximum(pre, 0)
    special = sigmoid.copy()
    special[0, :3] = [np.nan, np.inf, -np.inf]
    special[1, :4] = [1.5, -0.25, 0.01, 0.99]  # out of range, and the eps thresholds themselves
    edges = np.linspace(0, 1, 33)[None, :]  # every bin edge exactly
    subnormal = np.array([[0.0, 1e-40, np.finfo(np.float32).tiny, 2.0**-12, 2.0**12, 6e4]], np.float32)
    return [
        ("sigmoid", sigmoid), ("tanh", tanh), ("relu", relu), ("sigmoid", special),
        ("sigmoid", edges), ("tanh", edges * 2 - 1), ("relu", subnormal),
        ("sigmoid", np.zeros((0, 4))), ("tanh", np.full((5, 3), np.nan)),
        ("sigmoid", np.full((7, 2), 0.5)), ("relu", np.zeros((4, 3))),
        ("tanh", np.tanh(rng.standard_normal((2, 3, 4, 5)) * 3)), ("sigmoid", sigmoid[0]),
    ]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("activation, data", _cases())
def test_torch_equals_numpy_reference(activation, data, dtype):
    array = np.asarray(data, dtype)
    _assert_equals_reference(array, activation)


def test_integer_data_is_compared_in_float32():
    data = np.array([[0, 1], [1, 1], [0, 0]], np.int64)
    expected = numpy_statistics.compute(data, "sigmoid")
    got = _torch_statistics.compute(torch.from_numpy(data), "sigmoid")
    np.testing.assert_array_equal(got.layer, expected.layer)
    np.testing.assert_array_equal(got.units, [255, 255])  # 0 and 1 are both within eps of an asymptote


def test_moments_of_a_known_layer():
    data = torch.tensor([[0.005, 0.5], [0.995, 0.5]], dtype=torch.float64)
    layer = _torch_statistics.compute(data, "sigmoid").layer
    field = lambda name: numpy_statistics.field(layer, name)
    assert (field("count"), field("saturatedLow"), field("saturatedHigh"), field("stuckUnits")) == (4, 0.25, 0.25, 1)
    assert field("mean") == pytest.approx(0.5, abs=1e-15)
    assert field("meanDerivative") == pytest.approx((2 * 0.005 * 0.995 + 2 * 0.25) / 4, rel=1e-14)


@pytest.mark.parametrize(
    "data, error, message",
    [
        (np.zeros((2, 2)), TypeError, "must be a torch.Tensor; got ndarray"),
        (torch.zeros(()), ValueError, r"rank >= 1 \[..., units\]; got shape \(\)"),
        (torch.zeros((3, 0)), ValueError, "at least one unit"),
        (torch.zeros((2, 2), dtype=torch.bool), TypeError, "real numbers"),
        (torch.zeros((2, 2), dtype=torch.complex64), TypeError, "real numbers"),
    ],
)
def test_bad_data_is_named(data, error, message):
    with pytest.raises(error, match=message):
        _torch_statistics.compute(data, "sigmoid")


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_known_activation_equals_numpy_reference(name, dtype):
    """Values across the range, its ends, every bin edge, just outside and non-finite."""
    act = activations.get(name)
    top = act.high if np.isfinite(act.high) else 2.0**13
    rng = np.random.default_rng(1)
    spread = rng.uniform(act.low - 0.5, top + 0.5, size=(300, 5))
    ends = [act.low, top, act.low + 0.01, top - 0.01, act.low - 1e-7, top + 1e-7, -0.0, np.nan, np.inf, -np.inf]
    edges = [e for e in act.edges if np.isfinite(e)]
    extra = np.resize(np.array(ends + edges, np.float64), (-(-(len(ends) + len(edges)) // 5) * 5)).reshape(-1, 5)
    array = np.concatenate([spread, extra]).astype(dtype)
    _assert_equals_reference(array, name)


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bin_index_equals_the_search_at_and_next_to_every_edge(name, dtype):
    edges = np.array([e for e in activations.get(name).edges if np.isfinite(e)], dtype)
    values = np.concatenate([
        edges, np.nextafter(edges, dtype(-np.inf)), np.nextafter(edges, dtype(np.inf)),
        np.random.default_rng(2).uniform(-2, edges.max() * 1.5, 5000).astype(dtype), [dtype(-0.0), dtype(1e-300)],
    ]).astype(dtype)
    expected = np.searchsorted(np.asarray(activations.get(name).edges[1:-1], dtype), values, side="right")
    got = _torch_statistics.bin_index(torch.from_numpy(values), activations.get(name).edges, _torch_statistics.compute_dtype(torch.from_numpy(values).dtype))
    np.testing.assert_array_equal(got.numpy(), expected)
