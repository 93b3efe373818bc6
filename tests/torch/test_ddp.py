"""DDP: two processes on the gloo backend over 127.0.0.1; only rank 0 probes and writes, nobody hangs."""

import json
import os
import subprocess
import sys

import pytest

from tests.test_readme_examples import REPO
from tests.torch.helpers import read_run
from tests.torch.test_s3 import _free_port

TIMEOUT = 240


def test_only_rank_zero_writes_and_training_stays_in_sync(tmp_path):
    port = str(_free_port())
    log_dir = str(tmp_path / "run")
    env = dict(os.environ, SATURATION_CHECK_NO_TF="1", PYTHONPATH=os.pathsep.join(
        p for p in (REPO, os.environ.get("PYTHONPATH")) if p))
    worker = [sys.executable, os.path.join(REPO, "tests", "without_tensorflow.py"),
              os.path.join(REPO, "tests", "torch", "ddp_worker.py")]
    processes = [
        subprocess.Popen(worker + [str(rank), "2", port, log_dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
        for rank in range(2)
    ]
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=TIMEOUT)
            assert process.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    except subprocess.TimeoutExpired:
        pytest.fail("a DDP rank did not finish within %ss (hang)" % TIMEOUT)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [r["active_targets"] for r in results] == [["1", "4"], []]
    assert results[0]["weights"] == results[1]["weights"]  # gradients were all-reduced: same weights
    assert len(os.listdir(log_dir)) == 1  # one event file, rank 0's
    series, _ = read_run(log_dir)
    assert [s for s, _ in series["1"]] == [0, 2, 4]
    assert [s for s, _ in series["4/signals"]] == [0, 2, 4]
