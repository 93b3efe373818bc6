"""The README's PyTorch example (examples/pytorch_logger.py) runs without TensorFlow and logs what it says."""

import numpy as np
import torch
from torch import nn

from tensorboard_plugin_saturation import numpy_statistics
from tests.test_readme_examples import run_example
from tests.torch.helpers import read_run

_MOMENTS = [numpy_statistics._FIELD_INDEX[f] for f in ("meanDerivative", "phi", "mean", "std")]


def test_pytorch_example_logs_before_every_tenth_update(tmp_path):
    run_example("examples/pytorch_logger.py", str(tmp_path / "run"), blocked_tensorflow=True)
    series, contents = read_run(str(tmp_path / "run"))
    layers = sorted(t for t, c in contents.items() if c["kind"] == "layer")
    assert layers == ["1", "3"]  # nn.Tanh and nn.Sigmoid of the Sequential
    assert [s for s, _ in series["1"]] == list(range(0, 80, 10))  # 5 epochs x 16 batches, before each 10th
    # step 0 is the initialization: the example's model, rebuilt here with the same seed
    torch.manual_seed(0)
    x = torch.randn(1024, 20)
    model = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 64), nn.Sigmoid(), nn.Linear(64, 1))
    with torch.no_grad():
        expected = numpy_statistics.compute(model[1](model[0](x[:256])).numpy(), "tanh")
    step0 = series["1"][0][1]
    exact = np.ones(len(step0), bool)
    exact[_MOMENTS] = False
    np.testing.assert_array_equal(step0[exact], expected.layer[exact])
    np.testing.assert_allclose(step0[~exact], expected.layer[~exact], rtol=1e-12)
