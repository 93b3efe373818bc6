"""The PyTorch tests run in their own pytest process, with TensorFlow blocked from import.

TensorFlow and PyTorch loaded in one process can crash it, so `tests/conftest.py`
leaves this folder out of the main run unless SATURATION_TORCH_TESTS=1, which
`scripts/test.sh` sets for a second pytest invocation of `tests/torch`. Blocking
TensorFlow here also proves that the PyTorch path (logger, writer, viewer,
report) runs on a TF-free install.
"""

import sys

from tests import without_tensorflow

if any(m is not None and name.split(".")[0].startswith("tensorflow") for name, m in sys.modules.items()):
    raise RuntimeError(
        "TensorFlow is already imported: run the torch tests in their own pytest process "
        "(SATURATION_TORCH_TESTS=1 python -m pytest tests/torch)"
    )
without_tensorflow.install()
