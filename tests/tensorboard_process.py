"""Starts the real `tensorboard` command on a free loopback port, for tests."""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

TENSORBOARD = os.path.join(os.path.dirname(sys.executable), "tensorboard")


@contextlib.contextmanager
def serve(logdir, load_fast="false", extra_args=(), timeout=90, command=None, env=None, log_path=None):
    """Yields the base URL ("http://127.0.0.1:PORT") of a running TensorBoard.

    `command` replaces the `tensorboard` executable (e.g. a Python with
    TensorFlow blocked, see without_tensorflow.py), `env` the environment;
    `log_path` (default: beside a local `logdir`) receives its output.
    """
    if log_path is None:
        log_path = os.path.join(logdir, os.pardir, "tensorboard-%s.log" % os.path.basename(logdir.rstrip("/")))
    # The child writes through its own append-mode handle and we read through
    # another: with one shared handle, our seek(0) to read would move the offset
    # the child writes at, and its next line would overwrite the log's first.
    open(log_path, "w").close()
    with open(log_path, "a") as output, open(log_path) as log:
        process = subprocess.Popen(
            [*(command or [TENSORBOARD]), "--logdir", logdir, "--host", "127.0.0.1", "--port", "0",
             "--load_fast", load_fast, "--reload_interval", "1", *extra_args],
            stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.PIPE, env=env,
        )
        try:
            url = _wait_for_url(process, log, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def wait_for(predicate, timeout=60, interval=0.3):
    """Polls `predicate()` until it returns a truthy value; returns that value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise TimeoutError("condition not met within %ss" % timeout)
        time.sleep(interval)


def _wait_for_url(process, log, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError("tensorboard exited with %s:\n%s" % (process.returncode, log.read()))
        log.seek(0)
        match = re.search(r"(http://[^\s/]+:\d+)/", log.read())
        if match:
            return match.group(1)
        time.sleep(0.2)
    log.seek(0)
    raise TimeoutError("tensorboard did not start within %ss:\n%s" % (timeout, log.read()))
