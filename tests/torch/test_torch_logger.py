"""`SaturationLogger` on small PyTorch models: what it finds, when it logs, what it writes."""

import copy
import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import numpy_statistics
from tensorboard_plugin_saturation.torch import SaturationLogger
from tests.torch.helpers import read_run

_SIGNAL = {name: i for i, name in enumerate(metadata.SIGNALS_FIELDS)}
_MOMENTS = [numpy_statistics._FIELD_INDEX[f] for f in ("meanDerivative", "phi", "mean", "std")]


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 10)

    def forward(self, x):
        return torch.sigmoid(self.fc(x))


class Net(nn.Module):
    """Modules, functional calls (in a child and at the top) and a GRU; a sigmoid output."""

    def __init__(self):
        super().__init__()
        self.block = Block()
        self.fc2 = nn.Linear(10, 8)
        self.norm = nn.LayerNorm(8)
        self.act = nn.Tanh()
        self.drop = nn.Dropout(0.5)
        self.gru = nn.GRU(8, 5, batch_first=True)
        self.head = nn.Linear(5, 3)
        self.out = nn.Sigmoid()

    def forward(self, x):
        h = self.drop(self.act(self.norm(self.fc2(self.block(x)))))
        seq, _ = self.gru(h.unsqueeze(1).expand(-1, 4, -1))
        return self.out(self.head(F.relu(seq[:, -1])))


def _data(seed=0, n=64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 6, generator=g) * 3, torch.rand(n, 3, generator=g)


def _train(model, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()


def test_finds_modules_functional_calls_and_gates_in_the_order_they_run(tmp_path):
    torch.manual_seed(0)
    x, _ = _data()
    with SaturationLogger(Net(), str(tmp_path / "run"), x[:16]) as logger:
        assert [t.tag for t in logger.targets] == [
            "block/sigmoid", "act", "gru/update", "gru/reset", "gru/candidate", "relu", "out",
        ]
        logger.log(0)
    series, contents = read_run(str(tmp_path / "run"))
    assert contents["out"]["output"] is True
    assert contents["gru/reset"]["group"] == "gru" and contents["gru/reset"]["gate"] == "reset"
    assert all(c["framework"] == "torch" for c in contents.values() if c["kind"] == "layer")
    assert [contents[t]["order"] for t in ("block/sigmoid", "act", "gru/update", "relu", "out")] == [0, 1, 2, 5, 6]
    assert not any("output" in contents[t] for t in ("block/sigmoid", "act", "relu", "gru/update"))
    assert sorted(series) == sorted(
        t + s for t in contents if contents[t]["kind"] == "layer" for s in ("", "/units", "/signals")
    )


def test_logs_before_every_nth_update_starting_before_the_first(tmp_path):
    torch.manual_seed(0)
    model = Net()
    x, y = _data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    snapshots = []
    original_step = optimizer.step
    with SaturationLogger(model, str(tmp_path / "run"), x[:32], optimizer=optimizer, update_freq=3):
        for _ in range(7):
            snapshots.append(copy.deepcopy(model))
            _train(model, optimizer, x, y, 1)
    series, _ = read_run(str(tmp_path / "run"))
    assert [step for step, _ in series["block/sigmoid"]] == [0, 3, 6]
    for (step, layer), (_, units) in zip(series["block/sigmoid"], series["block/sigmoid/units"]):
        before = snapshots[step].eval()  # the weights before update `step`
        with torch.no_grad():
            expected = numpy_statistics.compute(torch.sigmoid(before.block.fc(x[:32])).numpy(), "sigmoid")
        exact = np.ones(len(layer), bool)
        exact[_MOMENTS] = False
        np.testing.assert_array_equal(layer[exact], expected.layer[exact])
        np.testing.assert_allclose(layer[~exact], expected.layer[~exact], rtol=1e-12, equal_nan=True)
        np.testing.assert_array_equal(units, expected.units)
    assert optimizer.step.__func__ is original_step.__func__


def test_signals_input_scale_kernel_update_ratio_and_learning_rate(tmp_path):
    torch.manual_seed(0)
    model = Net()
    x, y = _data()
    optimizer = torch.optim.SGD(
        [{"params": model.block.parameters(), "lr": 0.25}, {"params": list(model.parameters())[2:], "lr": 0.01}]
    )
    w0 = model.block.fc.weight.detach().clone()
    initial = copy.deepcopy(model)
    with SaturationLogger(model, str(tmp_path / "run"), x[:32], optimizer=optimizer, update_freq=2):
        _train(model, optimizer, x, y, 2)
        w2 = model.block.fc.weight.detach().clone()  # the weight logged at step 2, before the third update
        _train(model, optimizer, x, y, 1)
    series, _ = read_run(str(tmp_path / "run"))
    (s0, first), (s2, second) = series["block/sigmoid/signals"]
    assert (s0, s2) == (0, 2)
    probe = x[:32].double().numpy()
    assert first[_SIGNAL["inputStd"]] == pytest.approx(probe.std(), rel=1e-12)
    assert first[_SIGNAL["inputMaxAbs"]] == pytest.approx(np.abs(probe).max(), rel=1e-12)
    assert first[_SIGNAL["kernelStd"]] == pytest.approx(w0.double().std(unbiased=False).item(), rel=1e-6)
    assert first[_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (6 + 10)), rel=1e-15)
    assert math.isnan(first[_SIGNAL["updateRatio"]])
    assert second[_SIGNAL["learningRate"]] == 0.25
    assert series["act/signals"][0][1][_SIGNAL["learningRate"]] == 0.01
    assert second[_SIGNAL["updateRatio"]] == pytest.approx(
        ((w2 - w0).norm() / w0.norm()).item(), rel=1e-5
    )
    # tanh after LayerNorm: the kernel is fc2's, seen through the norm; input = fc2's input
    tanh = series["act/signals"][0][1]
    assert tanh[_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (10 + 8)), rel=1e-15)
    with torch.no_grad():
        fc2_input = torch.sigmoid(initial.block.fc(x[:32])).double().numpy()
    assert tanh[_SIGNAL["inputStd"]] == pytest.approx(fc2_input.std(), rel=1e-6)
    # a gate: input is the GRU's input, the kernel the gate's rows of weight_ih
    gate = series["gru/candidate/signals"][0][1]
    assert gate[_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (8 + 5)), rel=1e-15)


def test_probe_restores_modes_and_leaves_gradients_alone(tmp_path):
    torch.manual_seed(0)
    model = Net()
    x, y = _data()
    model.train()
    model.drop.eval()  # a mixed state must come back as it was
    F.mse_loss(model(x), y).backward()
    grads = [p.grad.clone() for p in model.parameters()]
    with SaturationLogger(model, str(tmp_path / "run"), x[:8]) as logger:
        logger.log(5)
    assert model.training and model.block.training and not model.drop.training
    for p, g in zip(model.parameters(), grads):
        assert torch.equal(p.grad, g)
    assert torch.is_grad_enabled()


def test_eval_mode_probe_is_deterministic_with_dropout(tmp_path):
    torch.manual_seed(0)
    model = Net().train()
    x, _ = _data()
    with SaturationLogger(model, str(tmp_path / "run"), x[:16]) as logger:
        logger.log(0)
        logger.log(1)
    series, _ = read_run(str(tmp_path / "run"))
    (_, a), (_, b) = series["gru/update"]
    np.testing.assert_array_equal(a, b)


def test_a_logging_failure_warns_once_and_training_continues(tmp_path):
    torch.manual_seed(0)
    model = Net()
    x, y = _data()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with SaturationLogger(model, str(blocker / "run"), x[:8], optimizer=optimizer, update_freq=1) as logger:
            _train(model, optimizer, x, y, 4)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "logging is off, training continues" in messages[0]
    assert not logger.active


def test_close_removes_the_hook(tmp_path):
    torch.manual_seed(0)
    model = Net()
    x, y = _data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    logger = SaturationLogger(model, str(tmp_path / "run"), x[:8], optimizer=optimizer, update_freq=1)
    _train(model, optimizer, x, y, 2)
    logger.close()
    logger.close()
    _train(model, optimizer, x, y, 2)
    series, _ = read_run(str(tmp_path / "run"))
    assert [s for s, _ in series["out"]] == [0, 1]


def test_layers_selects_tags_modules_and_recurrent_modules(tmp_path):
    torch.manual_seed(0)
    model = Net()
    x, _ = _data()
    logger = SaturationLogger(model, str(tmp_path / "run"), x[:8], layers=[model.out, "gru", "block/sigmoid"])
    assert [t.tag for t in logger.targets] == ["block/sigmoid", "gru/update", "gru/reset", "gru/candidate", "out"]
    with pytest.raises(ValueError, match=r"'nope' is not a logged activation of the model; found: block/sigmoid, act"):
        SaturationLogger(model, str(tmp_path / "run"), x[:8], layers=["nope"])


def test_activation_modules_and_functions_map_to_activation_names():
    from tensorboard_plugin_saturation import _torch_targets as targets
    names = [targets.module_activation(m) for m in (
        nn.Sigmoid(), nn.Tanh(), nn.ReLU(), nn.ReLU6(), nn.Hardtanh(), nn.Hardtanh(0.0, 6.0), nn.Hardtanh(0.0, 0.5),
        nn.Hardtanh(-2.0, 2.0), nn.Hardsigmoid(), nn.ELU(), nn.ELU(alpha=0.5), nn.CELU(), nn.CELU(alpha=2.0),
        nn.SELU(), nn.Softsign(), nn.LeakyReLU(), nn.GELU(), nn.Linear(2, 2))]
    assert names == ["sigmoid", "tanh", "relu", "relu6", "hard_tanh", "relu6", "relu(max_value=0.5)",
                     None, "hard_sigmoid", "elu", "elu(alpha=0.5)", "elu", None,
                     "selu", "softsign", None, None, None]
    x = torch.zeros(2)
    calls = [(torch.sigmoid, (x,), {}), (torch.Tensor.tanh, (x,), {}), (F.relu, (x,), {"inplace": False}),
             (F.hardtanh, (x, 0.0, 6.0), {}), (F.hardtanh, (x,), {"min_val": -1.0}), (F.elu, (x,), {"alpha": 2.0}),
             (F.celu, (x,), {}), (F.selu, (x,), {}), (F.softsign, (x,), {}),
             (torch.special.expit, (x,), {}), (torch.exp, (x,), {})]
    assert [targets.function_activation(f, a, k) for f, a, k in calls] == [
        "sigmoid", "tanh", "relu", "relu6", "hard_tanh", "elu(alpha=2.0)", "elu", "selu", "softsign", "sigmoid", None]


def test_every_supported_activation_module_is_logged_and_unknown_ones_skipped(tmp_path):
    blocks = [nn.LeakyReLU(), nn.Sigmoid(), nn.ReLU6(), nn.Hardsigmoid(), nn.Hardtanh(), nn.ELU(alpha=0.5), nn.SELU(),
              nn.Softsign(), nn.GELU()]
    model = nn.Sequential(*[m for act in blocks for m in (nn.Linear(4, 4), act)])
    x = torch.randn(64, 4) * 3
    with SaturationLogger(model, str(tmp_path / "run"), x) as logger:
        assert [t.tag for t in logger.targets] == [str(2 * k + 1) for k in range(1, 8)]
        logger.log(0)
    series, contents = read_run(str(tmp_path / "run"))
    assert [contents[str(2 * k + 1)]["activation"] for k in range(1, 8)] == [
        "sigmoid", "relu6", "hard_sigmoid", "hard_tanh", "elu(alpha=0.5)", "selu", "softsign"]
    with torch.no_grad():
        hidden = x
        for k, module in enumerate(model):
            hidden = module(hidden)
            if str(k) in contents:  # each logged series equals the numpy reference of that module's output
                expected = numpy_statistics.compute(hidden.numpy(), contents[str(k)]["activation"])
                exact = np.ones(len(expected.layer), bool)
                exact[_MOMENTS] = False
                got = series[str(k)][0][1]
                np.testing.assert_array_equal(got[exact], expected.layer[exact])
                np.testing.assert_allclose(got[~exact], expected.layer[~exact], rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(model="net"), TypeError, "model must be a torch.nn.Module; got str"),
        (dict(log_dir=3), TypeError, "log_dir must be a path or URL string; got 3"),
        (dict(probe_data="x"), TypeError, "probe_data must be a tensor or numpy array"),
        (dict(probe_data=torch.zeros(0, 6)), ValueError, r"at least one sample on its first axis; got shape \(0, 6\)"),
        (dict(update_freq=0), ValueError, "update_freq must be >= 1; got 0"),
        (dict(update_freq="epoch"), TypeError, "update_freq must be a positive int"),
        (dict(optimizer="adam"), TypeError, "optimizer must be a torch.optim.Optimizer or None; got str"),
        (dict(eps=0.7), ValueError, r"eps must be in \(0, 0.5\)"),
        (dict(model=nn.Linear(6, 2)), ValueError, "has no sigmoid, tanh, relu"),
    ],
)
def test_bad_arguments_name_what_was_expected(tmp_path, kwargs, error, message):
    args = dict(model=Net(), log_dir=str(tmp_path / "run"), probe_data=torch.randn(4, 6))
    args.update(kwargs)
    with pytest.raises(error, match=message):
        SaturationLogger(args.pop("model"), args.pop("log_dir"), args.pop("probe_data"), **args)


def test_log_step_must_be_a_non_negative_int(tmp_path):
    logger = SaturationLogger(Net(), str(tmp_path / "run"), torch.randn(4, 6))
    with pytest.raises(TypeError, match="step must be an int; got 1.5"):
        logger.log(1.5)
    with pytest.raises(ValueError, match="step must be >= 0; got -2"):
        logger.log(-2)


def test_numpy_probe_of_float64_runs_in_the_models_dtype(tmp_path):
    with SaturationLogger(Net(), str(tmp_path / "run"), np.random.default_rng(0).normal(size=(8, 6))) as logger:
        logger.log(0)
    series, _ = read_run(str(tmp_path / "run"))
    assert numpy_statistics.field(series["out"][0][1], "count") == 8 * 3


def test_transformer_layers_functional_relu_is_seen(tmp_path):
    """The encoder layer's fast path is off while the function mode runs: its F.relu is found."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True)
    model = nn.Sequential(nn.TransformerEncoder(layer, 2, enable_nested_tensor=False), nn.Linear(16, 1), nn.Sigmoid())
    with SaturationLogger(model, str(tmp_path / "run"), torch.randn(4, 5, 16)) as logger:
        assert [t.tag for t in logger.targets] == ["0.layers.0/relu", "0.layers.1/relu", "2"]
        logger.log(0)
    series, contents = read_run(str(tmp_path / "run"))
    assert contents["0.layers.0/relu"]["units"] == 32  # the feed-forward width
    assert numpy_statistics.field(series["0.layers.0/relu"][0][1], "count") == 4 * 5 * 32


def test_torchscript_modules_are_opaque_and_compiled_models_are_probed_eagerly(tmp_path):
    scripted = torch.jit.script(Block())  # its torch.sigmoid is inside TorchScript
    logger = SaturationLogger(nn.Sequential(scripted, nn.Linear(10, 4), nn.Tanh()), str(tmp_path / "a"), torch.randn(3, 6))
    assert [t.tag for t in logger.targets] == ["2"]
    eager = Net()
    compiled = torch.compile(eager)
    logger = SaturationLogger(compiled, str(tmp_path / "b"), torch.randn(3, 6))
    assert logger.model is eager
    assert [t.tag for t in logger.targets][:2] == ["block/sigmoid", "act"]
