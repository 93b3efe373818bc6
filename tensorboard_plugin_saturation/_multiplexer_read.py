"""Reads tensor series from the Python loader's event multiplexer without decoding point by point.

With `--load_fast=false` TensorBoard serves data from an `EventMultiplexer`
through `MultiplexerDataProvider`, whose `read_tensors` turns every point into
a `TensorDatum` through `tensor_util.make_ndarray` (~30 us a point: most of
the 2.6 s of a cold overview of 50 layers x 1000 steps). TensorBoard also hands
plugins that multiplexer (`TBContext.multiplexer`, public, set only by the
Python loader); this module reads the same events from its public `Tensors`
and cuts the tensor contents out of their serialized protos (`_raw_tensors`).
Anything unexpected answers None and the caller uses the public `read_tensors`.
"""

import operator

import numpy as np
from tensorboard.backend.event_processing import data_provider as data_provider_lib

from tensorboard_plugin_saturation import _raw_tensors


def serves(multiplexer, data_provider):
    """True when `data_provider` is TensorBoard's provider over an event multiplexer, which
    `multiplexer` then is: TensorBoard passes both only for the Python loader."""
    return multiplexer is not None and isinstance(data_provider, data_provider_lib.MultiplexerDataProvider)


def read(multiplexer, downsample, run, widths):
    """{tag: (steps int64 [T], wall_times float64 [T], values [T, width])} of the tags in
    `widths` ({tag: width}) of `run`, or None when this fast path does not apply.

    The provider keeps every point up to `downsample` and samples above it; this
    path reads only series that need no sampling, so both give the same points.
    """
    result = {}
    for tag, width in widths.items():
        try:
            events = multiplexer.Tensors(run, tag)
        except KeyError:  # a run or tag gone since the listing: the public path says what is left
            return None
        if len(events) > downsample:
            return None
        series = _series(events, width)
        if series is None:
            return None
        result[tag] = series
    return result


def _series(events, width):
    count = len(events)
    if not count:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros((0, width))
    protos = list(map(operator.attrgetter("tensor_proto"), events))
    records = list(map(operator.methodcaller("SerializeToString"), protos))
    if len(set(map(len, records))) != 1:
        return None
    values = _raw_tensors.values(
        b"".join(records), count, protos[0].dtype, width, lambda proto: proto.SerializeToString()
    )
    if values is None:
        return None
    steps = np.fromiter(map(operator.attrgetter("step"), events), np.int64, count)
    wall_times = np.fromiter(map(operator.attrgetter("wall_time"), events), np.float64, count)
    return steps, wall_times, values
