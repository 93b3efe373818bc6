"""tf_keras (legacy Keras 2, `TF_USE_LEGACY_KERAS=1`): recognising its models, and the callback hooks it calls.

Nothing here imports tf_keras: a model can only be a tf_keras model if the
user has imported it already.
"""

import sys


def module():
    """The `tf_keras` module if the process has imported it, else None."""
    return sys.modules.get("tf_keras")


def is_tf_keras(obj):
    """Whether `obj` is a tf_keras layer or model (not Keras 3)."""
    tf_keras = module()
    return tf_keras is not None and isinstance(obj, tf_keras.layers.Layer)


class CallbackHooks:
    """The methods tf_keras' `CallbackList` asks every callback for, which Keras 3's `Callback` lacks.

    They declare what the callback implements: batch hooks during training
    only; logs as numpy values (not tensors).
    """

    _supports_tf_logs = False
    _chief_worker_only = None

    def _implements_train_batch_hooks(self):
        return True

    def _implements_test_batch_hooks(self):
        return False

    def _implements_predict_batch_hooks(self):
        return False


class _EitherKeras:
    """`EITHER.layers.Dense`: usable in `isinstance` like `keras.layers.Dense`, true also for tf_keras' class of that name.

    The tf_keras class is looked up at each check, so a tf_keras imported
    after this module counts.
    """

    def __init__(self, path=()):
        self._path = path

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _EitherKeras(self._path + (name,))

    def __instancecheck__(self, obj):
        import keras  # pylint: disable=import-outside-toplevel

        for root in (keras, module()):
            cls = root
            for name in self._path:
                cls = getattr(cls, name, None)
            if isinstance(cls, type) and isinstance(obj, cls):
                return True
        return False

    def __repr__(self):
        return "EITHER.%s" % ".".join(self._path)


EITHER = _EitherKeras()
