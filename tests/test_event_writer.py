"""The TF-free event writer: what it writes is what TensorBoard reads."""

import os

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from tensorboard_plugin_saturation import _event_writer
from tensorboard_plugin_saturation import summary


def _read(run_dir):
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    return accumulator


def test_writes_summaries_at_their_steps_and_wall_times(tmp_path):
    data = np.array([[0.001, 0.5], [0.999, 0.25]], np.float32)
    run = str(tmp_path / "run")
    with _event_writer.EventWriter(run) as writer:
        for step in (0, 10, 20):
            writer.add_summary(summary.saturation_pb("h", data * (step + 1) / 21), step=step, wall_time=100.0 + step)
    events = _read(run).Tensors("h")
    assert [(e.step, e.wall_time) for e in events] == [(0, 100.0), (10, 110.0), (20, 120.0)]
    expected = summary.saturation_pb("h", data * 11 / 21).value[0].tensor
    np.testing.assert_array_equal(
        tensor_util.make_ndarray(events[1].tensor_proto), tensor_util.make_ndarray(expected)
    )
    assert [os.path.basename(writer.file_name)] == os.listdir(run)


def test_flush_makes_events_readable_before_close(tmp_path):
    run = str(tmp_path / "run")
    writer = _event_writer.EventWriter(run, flush_secs=3600)
    writer.add_summary(summary.saturation_pb("h", np.full((2, 2), 0.5)), step=3)
    writer.flush()
    assert [e.step for e in _read(run).Tensors("h")] == [3]
    writer.close()
    writer.close()  # a second close does nothing
    with pytest.raises(ValueError, match="closed"):
        writer.add_summary(summary.saturation_pb("h", np.full((2, 2), 0.5)), step=4)


def test_two_writers_in_one_process_write_two_files(tmp_path):
    run = str(tmp_path / "run")
    with _event_writer.EventWriter(run) as a, _event_writer.EventWriter(run) as b:
        assert a.file_name != b.file_name
    assert len(os.listdir(run)) == 2


@pytest.mark.parametrize(
    "log_dir, step, error, message",
    [
        (None, 0, TypeError, "log_dir must be a path or URL string; got None"),
        ("", 0, ValueError, "log_dir must be a non-empty path"),
        ("RUN", -1, ValueError, "step must be >= 0; got -1"),
        ("RUN", 1.5, TypeError, "step must be an int; got 1.5"),
        ("RUN", True, TypeError, "step must be an int; got True"),
    ],
)
def test_bad_arguments_name_what_was_expected(tmp_path, log_dir, step, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(")):
        with _event_writer.EventWriter(str(tmp_path / "run") if log_dir == "RUN" else log_dir) as writer:
            writer.add_summary(summary.saturation_pb("h", np.full((2, 2), 0.5)), step=step)


def test_url_join_keeps_the_scheme():
    assert _event_writer.join("s3://bucket/run/", "f") == "s3://bucket/run/f"
    assert _event_writer.join("/tmp/run", "f") == "/tmp/run/f"
