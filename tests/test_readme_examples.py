"""The README's examples are the files in examples/, and each one runs and logs what it says.

The PyTorch example runs in tests/torch/test_examples.py (its own process, TensorFlow blocked).
"""

import os
import re
import subprocess
import sys

import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import summary

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_EXAMPLE = re.compile(r"<!-- example: (examples/\S+\.py)[^\n]*-->\n```python\n(.*?)```\n", re.S)


def readme_examples():
    """{path: code} of every example block the README includes."""
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        return {path: code for path, code in _EXAMPLE.findall(f.read())}


def run_example(path, log_dir, blocked_tensorflow=False):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
    if blocked_tensorflow:
        env["SATURATION_CHECK_NO_TF"] = "1"
        command = [sys.executable, os.path.join(REPO, "tests", "without_tensorflow.py"), os.path.join(REPO, path), log_dir]
    else:
        command = [sys.executable, os.path.join(REPO, path), log_dir]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert result.returncode == 0, result.stderr[-3000:]


def read_steps(run_dir):
    """{tag: [steps]} of the `layer` series (no /units, /signals) and the accumulator."""
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    tags = [t for t in accumulator.Tags()["tensors"] if not t.endswith(("/units", "/signals"))]
    return {t: [e.step for e in accumulator.Tensors(t)] for t in tags}, accumulator


def test_readme_includes_every_example_verbatim():
    included = readme_examples()
    files = sorted("examples/" + name for name in os.listdir(os.path.join(REPO, "examples")) if name.endswith(".py"))
    assert sorted(included) == files
    for path, code in included.items():
        with open(os.path.join(REPO, path), encoding="utf-8") as f:
            assert code == f.read(), "README's copy of %s differs from the file" % path


def test_keras_example(tmp_path):
    run_example("examples/keras_callback.py", str(tmp_path / "run"))
    steps, _ = read_steps(str(tmp_path / "run"))
    assert steps == {"dense": [0, 10, 20], "dense_1": [0, 10, 20]}  # 3 epochs x 8 batches


def test_tf_summary_op_example(tmp_path):
    run_example("examples/tf_summary_op.py", str(tmp_path / "run"))
    steps, _ = read_steps(str(tmp_path / "run"))
    assert steps == {"hidden": list(range(50))}


def test_saturation_pb_example_without_tensorflow(tmp_path):
    run_example("examples/saturation_pb.py", str(tmp_path / "run"), blocked_tensorflow=True)
    steps, accumulator = read_steps(str(tmp_path / "run"))
    assert steps == {"hidden": list(range(0, 100, 10))}
    rng = np.random.default_rng(0)  # the example's computation, repeated here
    x = rng.standard_normal((256, 32))
    weights = rng.standard_normal((32, 64)) * 0.1
    for event in accumulator.Tensors("hidden"):
        expected = summary.saturation_pb("hidden", np.tanh(x @ weights), activation="tanh").value[0].tensor
        np.testing.assert_array_equal(tensor_util.make_ndarray(event.tensor_proto), tensor_util.make_ndarray(expected))
        weights *= 1.3
