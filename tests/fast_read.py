"""What the fast-read tests share (test_grpc_read.py, test_multiplexer_read.py): the run they read and the
exact comparison of the fast read with the public `read_tensors`."""

import numpy as np
from tensorboard import context as tb_context

from tensorboard_plugin_saturation import summary
from tests import logs


def write_resumed_run(logdir):
    """Run "run": layers dense and dense_1 at steps 0..38, steps 10 and 12 of dense logged again (a resumed
    run), and a layer "odd" whose tensor has the wrong shape."""
    logs.write_run(logdir, "run", layers=("dense", "dense_1"), steps=range(0, 40, 2), samples=4, units=3)
    events = [(s, summary.saturation_pb("dense", np.full((2, 3), 0.999, np.float32), layer_index=0)) for s in (10, 12)]
    bad = summary.saturation_pb("odd", np.full((2, 2), 0.5, np.float32))
    bad.value[0].tensor.tensor_shape.dim[0].size = 7
    logs.write_events(logdir, "run", events + [(0, bad)])


def all_series(reader):
    """{(layer tag, "layer" | "units"): series} of every layer of "run", read by `reader` (a `reader.Reader`)."""
    ctx = tb_context.RequestContext()
    layers = reader.layers(ctx, "", run="run")["run"]
    reader.prefetch(ctx, "", "run", layers, units=True)
    return {
        (layer.tag, kind): reader.series(ctx, "", "run", tag, layer.stamp, width)
        for layer in layers
        for kind, tag, width in (("layer", layer.tag, layer.layout.width), ("units", layer.units_tag, layer.units))
    }


def assert_same_series(fast, public):
    """The two reads of `write_resumed_run`'s run are equal: steps, wall times, values and dtype; odd is None."""
    assert sorted(fast) == sorted(public) == [(t, k) for t in ("dense", "dense_1", "odd") for k in ("layer", "units")]
    assert fast[("odd", "layer")] is None and public[("odd", "layer")] is None
    for key, series in fast.items():
        if series is None:
            continue
        other = public[key]
        np.testing.assert_array_equal(series.steps, other.steps)
        np.testing.assert_array_equal(series.wall_times, other.wall_times)
        np.testing.assert_array_equal(series.values, other.values)
        assert series.values.dtype == other.values.dtype
