"""TensorBoard plugin that shows where and when a network's units saturate.

Public modules:
  summary: `saturation()` (TF2 op) and `saturation_pb()` (numpy + protobuf).
  keras_callback: `SaturationCallback`, also importable from the package top level.
  torch: `SaturationLogger` for PyTorch models (needs torch, not TensorFlow).
  `EventWriter` (from _event_writer): writes `Summary` protos to an event file
    without TensorFlow, also to s3:// (package top level).
  report: `python -m tensorboard_plugin_saturation.report LOGDIR`.

Private modules: activations, metadata, numpy_statistics, _tf_statistics,
_torch_statistics, _torch_targets, _torch_recurrent, loader, plugin, reader, diagnosis.

Importing the package imports neither TensorFlow, Keras nor torch.
"""

from tensorboard_plugin_saturation import summary  # noqa: F401
from tensorboard_plugin_saturation._event_writer import EventWriter  # noqa: F401

__all__ = ["EventWriter", "SaturationCallback", "summary"]


def __getattr__(name):
    if name == "SaturationCallback":
        from tensorboard_plugin_saturation.keras_callback import SaturationCallback

        return SaturationCallback
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
