"""The activation records: one definition of every per-activation fact."""

import numpy as np
import pytest

from tensorboard_plugin_saturation import activations


def test_to_json_lists_every_supported_activation_and_skips_unknown_names():
    facts = activations.to_json(["gelu", None, "relu"])
    assert list(facts) == list(activations.ACTIVATIONS)
    assert facts["relu"] == {
        "low": 0.0, "high": None, "maxDerivative": 1.0, "saturates": "low", "rule": "exact",
        "saturatedLabel": "dead", "lowLabel": "zero", "highLabel": None, "stuckLabel": "dead",
        "description": "relu: off (dead) when y == 0; f'(x) = 1[y > 0]",
    }


def test_is_supported():
    assert activations.is_supported("tanh")
    assert not activations.is_supported("gelu") and not activations.is_supported(3)


def test_only_relu_is_judged_by_dead_units():
    assert [n for n, a in activations.ACTIVATIONS.items() if a.dead_units] == ["relu"]


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_edges_increase_and_the_derivative_never_exceeds_its_maximum(name):
    act = activations.get(name)
    assert all(a < b for a, b in zip(act.edges, act.edges[1:]))
    high = act.high if np.isfinite(act.high) else 1e6
    y = np.linspace(act.low, high, 10001)
    derivative = act.derivative(y, activations.NUMPY_OPS)
    assert derivative.min() >= 0 and derivative.max() == pytest.approx(act.max_derivative, rel=1e-6)
