"""Makes TensorFlow unimportable in this process: `import tests.no_tensorflow` first thing in a subprocess script.

As where TensorFlow is not installed: `import tensorflow` (and any
`tensorflow.*`) raises ImportError, and `importlib.util.find_spec("tensorflow")`
answers None (torch asks that way which packages exist, and must not be
told an error). A `sys.meta_path` finder raises for the submodules; the
`None` entry in `sys.modules` stops `tensorflow` itself before any finder.
"""

import sys


class BlockTensorFlow:
    """A meta path finder that raises ImportError for `tensorflow.*` and `tensorflow_*` (tensorflow_io, ...)."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0].startswith("tensorflow") and name != "tensorflow":
            raise ImportError("No module named %r (TensorFlow is blocked in this process)" % name)
        return None


if "tensorflow" in sys.modules and sys.modules["tensorflow"] is not None:
    raise RuntimeError("tests.no_tensorflow: TensorFlow is imported already; block it before anything imports it")
sys.modules["tensorflow"] = None
if not any(isinstance(finder, BlockTensorFlow) for finder in sys.meta_path):
    sys.meta_path.insert(0, BlockTensorFlow())
