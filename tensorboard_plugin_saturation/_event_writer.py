"""`EventWriter`: writes `Summary` protos to a TensorBoard event file without TensorFlow.

TensorBoard's own `EventFileWriter` opens files through `tensorboard.compat.tf`,
which is TensorFlow's `tf.io.gfile` when TensorFlow is installed; that one has
no `s3://` support since TF 2.6. This writer opens the file through
TensorBoard's TF-free gfile (`tensorboard.compat.tensorflow_stub.io.gfile`):
local paths, `s3://` (needs boto3; the endpoint comes from `S3_ENDPOINT`, the
credentials and region from boto3's usual environment variables) and any
fsspec protocol. A scheme that gfile does not know (`gs://` without fsspec)
falls back to TensorFlow's gfile, which is then imported.

Events are queued and written by TensorBoard's background writer thread; the
file is flushed every `flush_secs`, on `flush()` and on `close()`. On object
stores without append, each flush rewrites the whole object (TensorBoard's
gfile semantics), so flush at log time, not per event.
"""

import os
import socket
import threading
import time

from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub.io import gfile as stub_gfile
from tensorboard.summary.writer import event_file_writer
from tensorboard.summary.writer.record_writer import RecordWriter

_counter_lock = threading.Lock()
_counter = [0]


def _next_uid():
    with _counter_lock:
        _counter[0] += 1
        return _counter[0]


def gfile_for(path):
    """The gfile module that handles `path`: TensorBoard's TF-free one if it can."""
    try:
        stub_gfile.get_filesystem(path)
        return stub_gfile
    except ValueError:
        import tensorflow as tf  # pylint: disable=g-import-not-at-top

        return tf.io.gfile


def join(log_dir, name):
    """`log_dir/name` for a local path or a URL (`s3://bucket/run`)."""
    if "://" in log_dir:
        return log_dir.rstrip("/") + "/" + name
    return os.path.join(log_dir, name)


class EventWriter:
    """Writes `Summary` protos at given steps into one new event file in `log_dir`.

    ```python
    with EventWriter("s3://bucket/run1") as writer:
        writer.add_summary(summary_pb, step=0)
    ```

    Args:
      log_dir: The run's directory: a local path or a URL such as `s3://bucket/run`.
      flush_secs: Seconds between automatic flushes of queued events.
      filename_suffix: Appended to the event file's name.
    """

    def __init__(self, log_dir, flush_secs=120, filename_suffix=""):
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(
                "log_dir must be a path or URL string; got %r of type %s"
                % (log_dir, type(log_dir).__name__)
            )
        log_dir = os.fspath(log_dir)
        if not isinstance(log_dir, str) or not log_dir:
            raise ValueError("log_dir must be a non-empty path or URL; got %r" % (log_dir,))
        gfile = gfile_for(log_dir)
        gfile.makedirs(log_dir)
        self._log_dir = log_dir
        self._file_name = join(
            log_dir,
            "events.out.tfevents.%010d.%s.%s.%s%s"
            % (time.time(), socket.gethostname(), os.getpid(), _next_uid(), filename_suffix),
        )
        self._async = event_file_writer._AsyncWriter(  # pylint: disable=protected-access
            RecordWriter(gfile.GFile(self._file_name, "wb")), flush_secs=flush_secs
        )
        self._closed = False
        self.add_event(
            event_pb2.Event(
                wall_time=time.time(),
                file_version="brain.Event:2",
                source_metadata=event_pb2.SourceMetadata(
                    writer="tensorboard_plugin_saturation"
                ),
            )
        )
        self.flush()

    @property
    def log_dir(self):
        return self._log_dir

    @property
    def file_name(self):
        """The path or URL of the event file."""
        return self._file_name

    def add_event(self, event):
        """Queues an `Event` proto."""
        if not isinstance(event, event_pb2.Event):
            raise TypeError("expected an event_pb2.Event; got %s" % type(event).__name__)
        if self._closed:
            raise ValueError("EventWriter of %r is closed" % self._log_dir)
        self._async.write(event.SerializeToString())

    def add_summary(self, summary, step, wall_time=None):
        """Queues a `Summary` proto at `step` (an int >= 0), stamped `wall_time` (default now)."""
        if isinstance(step, bool) or not isinstance(step, int) and not hasattr(step, "__index__"):
            raise TypeError("step must be an int; got %r of type %s" % (step, type(step).__name__))
        step = int(step)
        if step < 0:
            raise ValueError("step must be >= 0; got %d" % step)
        self.add_event(
            event_pb2.Event(
                step=step,
                wall_time=time.time() if wall_time is None else float(wall_time),
                summary=summary,
            )
        )

    def flush(self):
        """Writes every queued event to the file."""
        self._async.flush()

    def close(self):
        """Flushes and closes the file; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        self._async.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
