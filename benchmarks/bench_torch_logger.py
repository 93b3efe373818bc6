"""Training time with and without the PyTorch `SaturationLogger`, side by side in one process.

A 4 x 256 sigmoid MLP on the scikit-learn digits (1797 samples, standardized, batch 32, Adam 1e-3),
256-sample probe, like `bench_callback.py` for Keras:

| arm        | what                                                                           |
| ---------- | ------------------------------------------------------------------------------ |
| `none`     | the plain training loop                                                         |
| `sat_10`   | SaturationLogger(optimizer=..., update_freq=10)                                 |
| `naive_10` | every 10 updates: forward hooks copy each sigmoid's output to numpy, then `saturation_pb` + `EventWriter` |

Each timed run of an arm (`--epochs` epochs, `--repeats` per arm, arms in rotating order) runs
between two runs without logging, because shared cores drift; the table shows the median time,
its ratio to the median of `none`, and the flanked ratio (median over the arm's runs of its time
over the mean of the two runs around it). Each logging run creates, writes and closes its event file.

    python benchmarks/bench_torch_logger.py [--repeats 7] [--epochs 2]
"""

import argparse
import statistics
import tempfile
import time

import numpy as np
import torch
from sklearn import datasets
from sklearn import preprocessing
from torch import nn

import tensorboard_plugin_saturation as sat
from tensorboard_plugin_saturation.torch import SaturationLogger

_ARMS = ("sat_10", "naive_10")


def _model():
    torch.manual_seed(0)
    layers = []
    width = 64
    for _ in range(4):
        layers += [nn.Linear(width, 256), nn.Sigmoid()]
        width = 256
    return nn.Sequential(*layers, nn.Linear(256, 10))


class NaiveLogger:
    """The hand-written way: hooks keep each sigmoid's output, numpy statistics on the host."""

    def __init__(self, model, log_dir, probe, update_freq):
        self._model, self._probe, self._freq = model, probe, update_freq
        self._writer = sat.EventWriter(log_dir)
        self._outputs = {}
        self._updates = 0
        for name, module in model.named_modules():
            if isinstance(module, nn.Sigmoid):
                module.register_forward_hook(lambda m, i, o, name=name: self._outputs.__setitem__(name, o))

    def before_step(self):
        if self._updates % self._freq == 0:
            with torch.no_grad():
                self._model(self._probe)
            for name, output in self._outputs.items():
                self._writer.add_summary(sat.summary.saturation_pb(name, output.numpy()), self._updates)
            self._writer.flush()
        self._updates += 1

    def close(self):
        self._writer.close()


def _train(arm, x, y, epochs, log_dir):
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    logger = naive = None
    start = time.perf_counter()
    if arm == "sat_10":
        logger = SaturationLogger(model, log_dir, x[:256], optimizer=optimizer, update_freq=10)
    elif arm == "naive_10":
        naive = NaiveLogger(model, log_dir, x[:256], 10)
    generator = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(32):
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            if naive is not None:
                naive.before_step()
            optimizer.step()
    if logger is not None:
        logger.close()
    if naive is not None:
        naive.close()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    digits = datasets.load_digits()
    x = torch.tensor(preprocessing.StandardScaler().fit_transform(digits.data), dtype=torch.float32)
    y = torch.tensor(digits.target)
    times = {arm: [] for arm in ("none",) + _ARMS}
    flanked = {arm: [] for arm in _ARMS}
    with tempfile.TemporaryDirectory() as root:
        for arm in ("none",) + _ARMS:  # warm-up
            _train(arm, x, y, 1, "%s/warm_%s" % (root, arm))
        for repeat in range(args.repeats):
            order = _ARMS[repeat % len(_ARMS):] + _ARMS[:repeat % len(_ARMS)]
            before = _train("none", x, y, args.epochs, None)
            times["none"].append(before)
            for arm in order:
                t = _train(arm, x, y, args.epochs, "%s/%s_%d" % (root, arm, repeat))
                after = _train("none", x, y, args.epochs, None)
                times[arm].append(t)
                times["none"].append(after)
                flanked[arm].append(t / ((before + after) / 2))
                before = after
    base = statistics.median(times["none"])
    updates = args.epochs * int(np.ceil(len(x) / 32))
    print("%d updates per run (%d logs), %d repeats" % (updates, -(-updates // 10), args.repeats))
    print("%-9s %10s %8s %8s" % ("arm", "median s", "ratio", "flanked"))
    print("%-9s %10.3f %8s %8s" % ("none", base, "1.00x", ""))
    for arm in _ARMS:
        print("%-9s %10.3f %7.2fx %7.2fx" % (
            arm, statistics.median(times[arm]), statistics.median(times[arm]) / base, statistics.median(flanked[arm])))


if __name__ == "__main__":
    main()
