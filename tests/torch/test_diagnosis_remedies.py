"""Every PyTorch remedy snippet runs; a PyTorch run logged by the logger gets PyTorch remedies.

Runs in the PyTorch test process (TensorFlow blocked, see conftest.py).
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

from tensorboard_plugin_saturation import diagnosis
from tensorboard_plugin_saturation import report
from tensorboard_plugin_saturation.torch import SaturationLogger


def series(tag, saturated, *, activation="sigmoid", units=8, derivative=None, signals=None, **optional):
    n = len(saturated)
    stats = dict(optional, count=[256.0] * n, nonfinite=optional.get("nonfinite", [0.0] * n), saturatedLow=saturated,
                 saturatedHigh=[0.0] * n, stuckUnits=[units if s >= 0.5 else 0.0 for s in saturated],
                 meanDerivative=derivative or [0.005 if s >= 0.4 else 0.2 for s in saturated])
    return diagnosis.layer_series(tag, activation, units, [0, 10, 20][:n], stats, signals, framework="torch")


def torch_snippets():
    fast = {"updateRatio": [math.nan, 5.0, 5.0], "learningRate": [0.3] * 3, "kernelStd": [0.1] * 3,
            "glorotStd": [0.1] * 3, "inputStd": [1.0] * 3, "inputMaxAbs": [3.0] * 3}
    runs = {
        "init_sigmoid": [series("a", [0.6] * 3), series("b", [0.6] * 3)],
        "init_relu": [series("a", [0.9] * 3, activation="relu")],
        "learning_rate": [series("a", [0.0, 0.9, 0.9], signals=fast)],
        "learning_rate_clip": [series("a", [0.0] * 3, nonfinite=[0.0, 5.0, 5.0])],
        "input_scaling": [series("a", [0.9] * 3), series("b", [0.0] * 3)],
        "unknown_saturating": [series("a", [0.9] * 3, activation="tanh")],
        "unknown_nonfinite": [series("a", [0.0] * 3, nonfinite=[1.0] * 3)],
        "mismatch": [series("a", [0.1] * 3, outOfRange=[0.5] * 3)],
        "vanishing": [series("h%d" % i, [0.0] * 3, units=32, derivative=[0.23] * 3) for i in range(8)],
    }
    snippets = {}
    for name, layers in runs.items():
        [finding] = diagnosis.diagnose(name, layers)["findings"]
        snippets[name] = finding["snippet"]
    return snippets


def run(snippet, **names):
    namespace = dict(names)
    exec(compile(snippet, "<snippet>", "exec"), namespace)  # pylint: disable=exec-used
    return namespace


def small_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 3))


def test_every_torch_snippet_runs_and_does_what_it_says():
    snippets = torch_snippets()
    assert all("keras" not in snippet for snippet in snippets.values())
    x = torch.randn(32, 4) * 3.0 + 5.0

    for name, std in [("init_sigmoid", math.sqrt(2.0 / 12)), ("init_relu", math.sqrt(2.0 / 4))]:
        model = small_model()
        nn.init.normal_(model[0].weight, std=5.0)
        run(snippets[name], model=model)
        assert float(model[0].weight.std()) == pytest.approx(std, rel=0.5)
        assert float(model[0].bias.abs().max()) == 0.0

    for name in ("learning_rate", "learning_rate_clip"):
        model = small_model()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.3)
        namespace = run(snippets[name], model=model, optimizer=optimizer)
        assert [g["lr"] for g in optimizer.param_groups] == [pytest.approx(0.03 if name == "learning_rate" else 0.03)]
        namespace["scheduler"].step()
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.03 * 0.95)

    standardized = run(snippets["input_scaling"], x_train=x.clone())["x_train"]
    np.testing.assert_allclose(standardized.mean(dim=0).numpy(), 0.0, atol=1e-5)

    block = run(snippets["unknown_saturating"])["block"]
    assert block(x).shape == (32, 8) and isinstance(block[1], nn.BatchNorm1d) and isinstance(block[2], nn.Tanh)

    x_nan = x.clone()
    x_nan[0, 0] = float("nan")
    assert torch.isfinite(run(snippets["unknown_nonfinite"], x_train=x_nan)["x_train"]).all()

    pb = run(snippets["mismatch"], pre_activations=torch.randn(16, 8))["pb"]
    assert [v.tag for v in pb.value] == ["a", "a/units"]

    from tensorboard_plugin_saturation import activations as activations_lib

    for name in list(activations_lib.ACTIVATIONS) + ["relu(max_value=6)"]:
        layers = [series("a", [0.1] * 3, outOfRange=[0.5] * 3)._replace(activation=name)]
        [finding] = diagnosis.diagnose("r", layers)["findings"]
        pb = run(finding["snippet"], pre_activations=torch.randn(16, 8))["pb"]
        assert pb.value[0].tag == "a", name

    block = run(snippets["vanishing"])["block"]
    assert block(torch.randn(16, 32)).shape == (16, 32)


def test_a_torch_run_with_a_bad_initialization_gets_torch_remedies(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Sigmoid(), nn.Linear(32, 32), nn.Sigmoid(), nn.Linear(32, 4))
    for module in model:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=3.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.randn(256, 16)
    y = torch.randint(0, 4, (256,))
    with SaturationLogger(model, str(tmp_path / "run"), x[:64], optimizer=optimizer, update_freq=5):
        for _ in range(20):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    result = report.diagnose_logdir(str(tmp_path))["runs"]["run"]
    [finding] = result["findings"]
    assert finding["cause"] == "initialization" and finding["step"] == 0
    assert finding["layers"] == ["1", "3"]
    assert ("if step 0 was logged after the first update (the order of logging and updates is not recorded), "
            "a large learning rate explains it as well") in finding["evidence"]
    assert finding["remedy"] == diagnosis.remedies.INIT_SATURATING_TORCH
    model_copy = nn.Sequential(nn.Linear(16, 32), nn.Sigmoid())
    run(finding["snippet"], model=model_copy)
    assert float(model_copy[0].weight.std()) < 0.3
