"""Both a wheel install and an editable install serve the tab, in a fresh venv."""

import json
import os
import shutil
import subprocess
import sys
import urllib.request

import pytest

from tensorboard_plugin_saturation import plugin as plugin_lib
from tests import logs
from tests.tensorboard_process import get_json, serve, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    path = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    pip = [str(path / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # TensorBoard alone: the tab must not need TensorFlow to be served.
    subprocess.run(pip + ["tensorboard", "werkzeug", "numpy"], check=True)
    return path, pip


def _copy_of_repo(tmp_path):
    """A clean copy of the sources, so a build that wrote into its source tree would show."""
    ignore = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", "node_modules", "logs")
    shutil.copytree(REPO, tmp_path / "src", ignore=ignore)
    return tmp_path / "src"


def _files(root):
    """Every path under `root`, relative, except Python's bytecode caches."""
    return sorted(
        os.path.relpath(os.path.join(d, name), root)
        for d, dirs, files in os.walk(root)
        for name in dirs + files
        if "__pycache__" not in os.path.join(d, name)
    )


def _check_tab_is_served(venv_path, logdir):
    tensorboard = os.path.join(str(venv_path), "bin", "tensorboard")
    env_python = os.path.join(str(venv_path), "bin", "python")
    from tests import tensorboard_process

    original = tensorboard_process.TENSORBOARD
    tensorboard_process.TENSORBOARD = tensorboard
    try:
        with serve(logdir, load_fast="false") as url:
            assert wait_for(lambda: get_json(url + "/data/plugins_listing").get("saturation", {}).get("enabled"))
            for name in sorted(os.listdir(plugin_lib._STATIC_DIR)):
                with urllib.request.urlopen(url + "/data/plugin/saturation/static/" + name) as r:
                    with open(os.path.join(plugin_lib._STATIC_DIR, name), "rb") as f:
                        assert r.read() == f.read(), name
    finally:
        tensorboard_process.TENSORBOARD = original
    out = subprocess.run(
        [env_python, "-c", "import tensorboard_plugin_saturation.plugin as p; print(p.__file__)"],
        capture_output=True, text=True, check=True, cwd=os.path.dirname(logdir),
    )
    return out.stdout.strip()


@pytest.mark.parametrize("mode", ["wheel", "editable"])
def test_install_serves_every_static_file(venv, tmp_path, mode, monkeypatch):
    venv_path, pip = venv
    monkeypatch.delenv("PYTHONPATH", raising=False)  # the venv's processes import what it installed
    source = _copy_of_repo(tmp_path)
    subprocess.run([str(venv_path / "bin" / "python"), "-m", "pip", "uninstall", "-q", "-y",
                    "tensorboard_plugin_saturation"], check=True)
    target = ["-e", str(source)] if mode == "editable" else [str(source)]
    before = _files(source)
    # With its dependencies: install_requires must not pull TensorFlow in.
    subprocess.run(pip + target, check=True)
    assert _files(source) == before, "the install wrote into the source tree (build/, *.egg-info)"
    assert not (source / "build").exists()
    has_tf = subprocess.run([str(venv_path / "bin" / "python"), "-c", "import tensorflow"], capture_output=True)
    assert has_tf.returncode != 0, "the base install must not install TensorFlow"
    logdir = str(tmp_path / "logs")
    logs.write_run(logdir, "run", steps=range(3), samples=2, units=2)
    module_file = _check_tab_is_served(venv_path, logdir)
    report = subprocess.run(
        [str(venv_path / "bin" / "saturation-report"), logdir, "--json"], capture_output=True, text=True
    )
    assert report.returncode == 0, report.stderr
    assert list(json.loads(report.stdout)["runs"]) == ["run"]
    if mode == "editable":
        assert module_file.startswith(str(source))
        # Only the package is exposed, not the checkout's tests/ or benchmarks/.
        exposed = subprocess.run([str(venv_path / "bin" / "python"), "-c", "import tests"],
                                 capture_output=True, cwd=str(tmp_path))
        assert exposed.returncode != 0
    else:
        assert "site-packages" in module_file
