"""Runs Python code with TensorFlow blocked from import, as on a TF-free install.

    python tests/without_tensorflow.py -m MODULE [ARGS...]   # like python -m
    python tests/without_tensorflow.py -c CODE [ARGS...]     # like python -c
    python tests/without_tensorflow.py SCRIPT.py [ARGS...]   # like python SCRIPT.py

A `sys.meta_path` finder makes `import tensorflow` and every `tensorflow*`
package (tensorflow_io, tensorflow_estimator, ...) raise ModuleNotFoundError,
the way a missing package does; TensorBoard then falls back to its TF stub.
The finder answers with a spec whose loader raises (instead of raising in
`find_spec`), because libraries probe with `importlib.util.find_spec`
(torch._dynamo does, for "tensorflow") and expect an answer, not an error;
the spec has no origin, so such probes see nothing to load. Used by
tests in a subprocess, so the test process itself may have TensorFlow loaded.
At exit, with SATURATION_CHECK_NO_TF=1, the process fails if a module named
tensorflow* got into sys.modules anyway.
"""

import atexit
import importlib.abc
import importlib.machinery
import os
import runpy
import sys


class _Refuse(importlib.abc.Loader):
    def create_module(self, spec):
        raise ModuleNotFoundError(
            "No module named %r (blocked by tests/without_tensorflow.py)" % spec.name, name=spec.name
        )

    def exec_module(self, module):  # never reached
        raise ModuleNotFoundError(module.__name__)


class BlockTensorFlow(importlib.abc.MetaPathFinder):
    """Makes `import tensorflow*` fail as if TensorFlow were not installed."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0].startswith("tensorflow"):
            return importlib.machinery.ModuleSpec(fullname, _Refuse())
        return None


def install():
    if not any(isinstance(f, BlockTensorFlow) for f in sys.meta_path):
        sys.meta_path.insert(0, BlockTensorFlow())


def _check_at_exit():
    loaded = sorted(name for name in sys.modules if name.split(".")[0].startswith("tensorflow"))
    if loaded:
        sys.stderr.write("without_tensorflow: TensorFlow modules were loaded: %s\n" % loaded)
        os._exit(3)


def main(argv):
    if argv and argv[0].endswith(".py"):
        argv = ["-script"] + argv
    if len(argv) < 2 or argv[0] not in ("-m", "-c", "-script"):
        sys.stderr.write(__doc__)
        return 2
    install()
    if os.environ.get("SATURATION_CHECK_NO_TF") == "1":
        atexit.register(_check_at_exit)
    mode, target, rest = argv[0], argv[1], argv[2:]
    if mode == "-m":
        sys.argv = [target] + rest
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    elif mode == "-script":
        sys.argv = [target] + rest
        runpy.run_path(target, run_name="__main__")
    else:
        sys.argv = ["-c"] + rest
        exec(compile(target, "<without_tensorflow -c>", "exec"), {"__name__": "__main__"})
    return 0


if __name__ == "__main__":
    sys.path.pop(0)  # this script's directory (tests/) must not shadow packages
    sys.exit(main(sys.argv[1:]))
