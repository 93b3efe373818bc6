"""Runs Python code with TensorFlow blocked from import, as on a TF-free install.

    python tests/without_tensorflow.py -m MODULE [ARGS...]   # like python -m
    python tests/without_tensorflow.py -c CODE [ARGS...]     # like python -c
    python tests/without_tensorflow.py SCRIPT.py [ARGS...]   # like python SCRIPT.py

The blocking is `tests/no_tensorflow.py`'s (imported first): `import
tensorflow*` fails the way a missing package does and
`importlib.util.find_spec("tensorflow")` answers None; TensorBoard then falls
back to its TF stub. Used by tests in a subprocess, so the test process
itself may have TensorFlow loaded.
At exit, with SATURATION_CHECK_NO_TF=1, the process fails if a module named
tensorflow* got into sys.modules anyway.
"""

import atexit
import os
import runpy
import sys


def install():
    """Blocks TensorFlow in this process (`tests/no_tensorflow.py`, the one blocker)."""
    import tests.no_tensorflow  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import


def _check_at_exit():
    loaded = sorted(
        name for name, module in sys.modules.items()
        if module is not None and name.split(".")[0].startswith("tensorflow")
    )
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
    sys.path[0] = os.path.dirname(sys.path[0])  # the repository, not tests/, so `tests.*` imports and nothing is shadowed
    sys.exit(main(sys.argv[1:]))
