"""SaturationLogger on models from pytorch/examples (tests/real_models/pytorch_examples.py), small local data."""

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import numpy_statistics
from tensorboard_plugin_saturation.torch import SaturationLogger
from tests.real_models.pytorch_examples import Net, RNNModel
from tests.torch.helpers import read_run
from tests.torch.test_torch_recurrent import _numpy_gates

_SIGNAL = {name: i for i, name in enumerate(metadata.SIGNALS_FIELDS)}
_MOMENTS = [numpy_statistics._FIELD_INDEX[f] for f in ("meanDerivative", "phi", "mean", "std")]


def _assert_statistics_equal(logged, expected):
    exact = np.ones(len(logged), bool)
    exact[_MOMENTS] = False
    np.testing.assert_array_equal(logged[exact], expected[exact])
    np.testing.assert_allclose(logged[~exact], expected[~exact], rtol=1e-9)


def test_mnist_net_functional_relus_channels_and_adadelta_schedule(tmp_path):
    """mnist/main.py: Adadelta(lr=1.0) with StepLR(gamma=0.7), F.relu after convolutions and fc1."""
    torch.manual_seed(1)
    model = Net()
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 28, 28, generator=generator)
    target = torch.randint(0, 10, (64,), generator=generator)
    initial = copy.deepcopy(model).eval()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    with SaturationLogger(model, str(tmp_path / "run"), x[:16], optimizer=optimizer, update_freq=2) as logger:
        assert [t.tag for t in logger.targets] == ["relu", "relu_1", "relu_2"]
        for epoch in range(3):
            model.train()
            for batch in (slice(0, 32), slice(32, 64)):
                optimizer.zero_grad()
                F.nll_loss(model(x[batch]), target[batch]).backward()
                optimizer.step()
            scheduler.step()
    series, contents = read_run(str(tmp_path / "run"))
    assert [contents[t]["units"] for t in ("relu", "relu_1", "relu_2")] == [32, 64, 128]  # channels, channels, features
    with torch.no_grad():
        conv1 = F.relu(initial.conv1(x[:16]))
    expected = numpy_statistics.compute(conv1.permute(0, 2, 3, 1).numpy(), "relu")
    _assert_statistics_equal(series["relu"][0][1], expected.layer)
    np.testing.assert_array_equal(series["relu/units"][0][1], expected.units)
    assert numpy_statistics.field(series["relu_1"][0][1], "count") == 16 * 24 * 24 * 64
    signals = {tag: [v for _, v in series[tag + "/signals"]] for tag in ("relu", "relu_1", "relu_2")}
    assert [s[_SIGNAL["learningRate"]] for s in signals["relu"]] == pytest.approx([1.0, 0.7, 0.49], rel=1e-12)
    assert signals["relu"][0][_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (1 * 9 + 32 * 9)), rel=1e-15)
    assert signals["relu_1"][0][_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (32 * 9 + 64 * 9)), rel=1e-15)
    assert signals["relu_2"][0][_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (9216 + 128)), rel=1e-15)
    assert signals["relu"][0][_SIGNAL["inputStd"]] == pytest.approx(x[:16].double().std(unbiased=False).item(), rel=1e-9)
    assert math.isnan(signals["relu"][0][_SIGNAL["updateRatio"]]) and signals["relu"][1][_SIGNAL["updateRatio"]] > 0
    assert contents["relu"]["framework"] == "torch" and not any("output" in c for c in contents.values())


def test_word_language_model_lstm_gates_of_both_layers(tmp_path):
    """word_language_model: 2-layer LSTM, time-major tokens, the initial hidden state passed to forward."""
    torch.manual_seed(1111)
    ntokens, steps, batch = 40, 12, 8
    model = RNNModel("LSTM", ntokens, 16, 16, 2, dropout=0.2)
    tokens = (torch.arange(steps * batch * 2).reshape(-1, batch) * 7 % ntokens)  # a fixed, learnable pattern
    inputs, targets = tokens[:steps], tokens[1:steps + 1]
    hidden = model.init_hidden(batch)
    initial = copy.deepcopy(model).eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=20)
    with SaturationLogger(model, str(tmp_path / "run"), (inputs, hidden), optimizer=optimizer, update_freq=2) as logger:
        gates = ["input", "forget", "output", "candidate", "cell"]
        assert [t.tag for t in logger.targets] == ["rnn/l0/" + g for g in gates] + ["rnn/l1/" + g for g in gates]
        for _ in range(4):
            model.train()
            optimizer.zero_grad()
            output, _ = model(inputs, hidden)
            F.nll_loss(output, targets.reshape(-1)).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()
    series, contents = read_run(str(tmp_path / "run"))
    assert contents["rnn/l1/forget"]["group"] == "rnn/l1" and contents["rnn/l1/forget"]["gate"] == "forget"
    assert [s for s, _ in series["rnn/l1/forget"]] == [0, 2]
    with torch.no_grad():
        embedded = initial.encoder(inputs).double().numpy()
    zeros = np.zeros((2, batch, 16))
    numpy_gates, _ = _numpy_gates(initial.rnn, embedded, zeros, zeros)
    for layer in ("l0", "l1"):
        for gate, activation in zip(gates, ["sigmoid", "sigmoid", "sigmoid", "tanh", "tanh"]):
            logged = series["rnn/%s/%s" % (layer, gate)][0][1]
            expected = numpy_statistics.compute(numpy_gates[layer][gate].reshape(-1, 16), activation).layer
            assert numpy_statistics.field(logged, "count") == steps * batch * 16
            for name in ("mean", "std", "meanDerivative", "phi"):
                assert numpy_statistics.field(logged, name) == pytest.approx(numpy_statistics.field(expected, name), abs=1e-6)
    _, layer0_hidden = _numpy_gates(_single_layer(initial.rnn), embedded, zeros[:1], zeros[:1])
    l1_signals = series["rnn/l1/input/signals"][0][1]
    assert l1_signals[_SIGNAL["inputStd"]] == pytest.approx(layer0_hidden.std(), rel=1e-5)
    assert l1_signals[_SIGNAL["glorotStd"]] == pytest.approx(math.sqrt(2 / (16 + 16)), rel=1e-15)
    assert l1_signals[_SIGNAL["learningRate"]] == 20.0
    assert math.isnan(series["rnn/l0/cell/signals"][0][1][_SIGNAL["kernelStd"]])  # the cell has no kernel rows


def _single_layer(lstm):
    """Layer 0 of `lstm` alone (for its hidden states)."""
    single = nn.LSTM(lstm.input_size, lstm.hidden_size, 1)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(single, name).copy_(getattr(lstm, name))
    return single


@pytest.mark.parametrize("rnn_type, activation", [("RNN_TANH", "tanh"), ("RNN_RELU", "relu")])
def test_word_language_model_plain_rnn_logs_each_layers_state(tmp_path, rnn_type, activation):
    """nn.RNN: its hidden state is the one recomputed series per layer (Keras' SimpleRNN "state")."""
    torch.manual_seed(0)
    model = RNNModel(rnn_type, 40, 16, 16, 2)
    inputs = torch.arange(24).reshape(12, 2) % 40
    hidden = model.init_hidden(2)
    with SaturationLogger(model, str(tmp_path / "run"), (inputs, hidden)) as logger:
        assert [t.tag for t in logger.targets] == ["rnn/l0/state", "rnn/l1/state"]
        logger.log(0)
        model.eval()
        with torch.no_grad():
            output, _ = model.rnn(model.encoder(inputs), hidden)
    series, contents = read_run(str(tmp_path / "run"))
    assert contents["rnn/l1/state"]["activation"] == activation and contents["rnn/l1/state"]["gate"] == "state"
    expected = numpy_statistics.compute(output.reshape(-1, 16).numpy(), activation)  # layer 1's states = the output
    _assert_statistics_equal(series["rnn/l1/state"][0][1], expected.layer)
