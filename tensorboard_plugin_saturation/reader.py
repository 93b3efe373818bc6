"""Reads saturation series through TensorBoard's data provider, with a cache.

Used by the plugin's routes and by the report CLI, so both see the same data.
Reading thousands of tensor protos is the slow part of a request: series are
read in one call per request, without `make_ndarray` per point where the
provider allows it (`_grpc_read`, `_multiplexer_read`), and kept per
(experiment, run, tag) until the provider reports a newer step or wall time
for that tag.
"""

import collections
import logging
import re
import threading

import numpy as np
from tensorboard.data import provider

from tensorboard_plugin_saturation import _grpc_read
from tensorboard_plugin_saturation import _multiplexer_read
from tensorboard_plugin_saturation import metadata

logger = logging.getLogger(__name__)

# How many steps per series TensorBoard keeps when the user sets nothing
# (loader.py sets it as the sampling hint). TensorBoard's own default for a
# third-party tensor plugin is 10 (Python loader) or 100 (RustBoard), picked at
# random: far too few for a heatmap.
DEFAULT_SAMPLES = 10000
# read_tensors needs an int; 0 in --samples_per_plugin means "keep all".
_ALL_POINTS = 2**31 - 1
# Distinct plugin contents remembered (one per tag; cleared when exceeded).
_MAX_PARSED = 100000

Layer = collections.namedtuple(
    "Layer",
    ["tag", "activation", "eps", "edges", "units", "order", "description",
     "layout", "units_tag", "signals_tag", "signals_layout", "stamp", "content", "max_step"],
)
Layer.__doc__ = """What is constant about one layer's series, from its metadata.

`layout` and `signals_layout` are the `metadata.Layout`s the series were logged
with (`signals_layout` is None without a signals series). `content` is the
parsed `layer` content, for its optional keys ("framework", "output", "group",
"gate", "trainStep"; absent means unknown). `max_step` is the last step of the
`layer` series, as the data provider lists it (no data is read)."""

Series = collections.namedtuple("Series", ["steps", "wall_times", "values"])
Series.__doc__ = """Decoded points of one tag: steps int64 [T], wall_times float64 [T], values [T, K].

Steps are distinct and increasing: of points logged with the same step (a
resumed run, a summary written twice in one step), the last one logged counts,
as the newest data replaces the older when TensorBoard purges orphaned data."""


class Reader:
    """Lists layers and reads decoded series for one data provider.

    `multiplexer`: the `EventMultiplexer` under a `MultiplexerDataProvider`
    (`TBContext.multiplexer`), read directly for speed; None reads through the
    provider alone.
    """

    def __init__(self, data_provider, downsample=_ALL_POINTS, multiplexer=None):
        self._provider = data_provider
        self._multiplexer = multiplexer if _multiplexer_read.serves(multiplexer, data_provider) else None
        self._downsample = downsample or _ALL_POINTS
        self._cache = {}
        self._parsed = {}  # plugin content bytes -> ("ok", dict) or ("error", message)
        self._grouped = {}  # (experiment, run, tags asked) -> (listing key, [Layer])
        self._lock = threading.Lock()
        self._warned = set()

    def layers(self, ctx, experiment_id, run=None):
        """Returns {run: [Layer, ...]} in network order; `run` limits it to one run."""
        run_tag_filter = provider.RunTagFilter(runs=[run]) if run is not None else None
        return self._list(ctx, experiment_id, run_tag_filter)

    def layer(self, ctx, experiment_id, run, tag):
        """The `Layer` of one tag, or None.

        Lists only the tag and its companions as the writers name them (`tag +
        UNITS_SUFFIX`, `tag + SIGNALS_SUFFIX`): the Python data provider scans
        every point of every listed series to find its last step, so listing
        three series instead of the whole run is what makes a layer request cheap.
        """
        tags = [tag, tag + metadata.UNITS_SUFFIX, tag + metadata.SIGNALS_SUFFIX]
        for layer in self._list(ctx, experiment_id, provider.RunTagFilter(runs=[run], tags=tags)).get(run, ()):
            if layer.tag == tag:
                return layer
        return None

    def _list(self, ctx, experiment_id, run_tag_filter):
        listing = self._provider.list_tensors(
            ctx,
            experiment_id=experiment_id,
            plugin_name=metadata.PLUGIN_NAME,
            run_tag_filter=run_tag_filter,
        )
        asked = tuple(run_tag_filter.tags) if run_tag_filter is not None and run_tag_filter.tags else None
        result = {}
        for run_name, tags in listing.items():
            layers = self._grouped_layers(experiment_id, run_name, asked, tags)
            if layers:
                result[run_name] = layers
        return result

    def _grouped_layers(self, experiment_id, run, asked, tags):
        """`_group_layers`, memoized per run while its listing is unchanged: a sweep's
        `runs` answer would otherwise rebuild thousands of `Layer`s on every request."""
        key = tuple(
            (tag, s.max_step, s.max_wall_time, s.plugin_content, s.description) for tag, s in tags.items()
        )
        slot = (experiment_id, run, asked)
        with self._lock:
            known = self._grouped.get(slot)
        if known is not None and known[0] == key:
            return known[1]
        layers = _group_layers(run, tags, self._warn_once, self._parse)
        with self._lock:
            if len(self._grouped) >= _MAX_PARSED:
                self._grouped.clear()
            self._grouped[slot] = (key, layers)
        return layers

    def _parse(self, content):
        """`metadata.parse_plugin_metadata`, memoized: the same few contents come back on every listing."""
        key = bytes(content) if isinstance(content, (bytes, bytearray)) else None
        with self._lock:
            known = self._parsed.get(key) if key is not None else None
        if known is None:
            try:
                known = ("ok", metadata.parse_plugin_metadata(content))
            except (TypeError, ValueError) as e:
                known = ("error", str(e))
            if key is not None:
                with self._lock:
                    if len(self._parsed) >= _MAX_PARSED:
                        self._parsed.clear()
                    self._parsed[key] = known
        if known[0] == "error":
            raise ValueError(known[1])
        return known[1]


    def series(self, ctx, experiment_id, run, tag, stamp, width):
        """Returns the decoded `Series` of one tag, or None if it cannot be read.

        `stamp` identifies the tag's current content (from `Layer.stamp`);
        `width` is the expected length of each value vector.
        """
        key = (experiment_id, run, tag)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]  # may be None: a series known to be unreadable
        self._read(ctx, experiment_id, run, [(tag, stamp, width)])
        with self._lock:
            return self._cache[key][1]

    def prefetch(self, ctx, experiment_id, run, layers, units=False, signals=False):
        """Reads the `layer` series of `layers` (of `run`), with their `units` and
        `signals` series if asked, that are not cached yet, in one provider call.

        A request that needs several series of a run (overview, diagnosis) asks
        for them together: with RustBoard each `read_tensors` is a round trip
        to the data server, which for many small series costs more than the data.
        """
        wanted = []
        for layer in layers:
            wanted.append((layer.tag, layer.stamp, layer.layout.width))
            if units and layer.units_tag is not None:
                wanted.append((layer.units_tag, layer.stamp, layer.units))
            if signals and layer.signals_tag is not None:
                wanted.append((layer.signals_tag, layer.stamp, layer.signals_layout.width))
        with self._lock:
            missing = [w for w in wanted if self._cache.get((experiment_id, run, w[0]), (None,))[0] != w[1]]
        if missing:
            self._read(ctx, experiment_id, run, missing)

    def _read(self, ctx, experiment_id, run, wanted):
        """Reads and caches the series [(tag, stamp, width)] of `run` in one `read_tensors` call."""
        widths = {tag: width for tag, _, width in wanted}
        if self._multiplexer is not None:
            fast = _multiplexer_read.read(self._multiplexer, self._downsample, run, widths)
        else:
            fast = _grpc_read.read(self._provider, experiment_id, metadata.PLUGIN_NAME, self._downsample, run, widths)
        if fast is not None:
            for tag, stamp, width in wanted:
                steps, wall_times, values = fast.get(tag, (np.zeros(0, np.int64), np.zeros(0), np.zeros((0, width))))
                series = _last_of_each_step(Series(steps=steps, wall_times=wall_times, values=values))
                with self._lock:
                    self._cache[(experiment_id, run, tag)] = (stamp, series)
            return
        try:
            data = self._read_tensors(ctx, experiment_id, run, [tag for tag, _, _ in wanted])
        except (TypeError, ValueError):
            if len(wanted) > 1:  # a tensor the provider cannot decode: find it, keep the others
                for one in wanted:
                    self._read(ctx, experiment_id, run, [one])
                return
            (tag, stamp, _), = wanted
            self._warn_once((run, tag), "skipping saturation series %r of run %r: its tensors cannot be "
                            "decoded" % (tag, run))
            with self._lock:
                self._cache[(experiment_id, run, tag)] = (stamp, None)
            return
        for tag, stamp, width in wanted:
            series = self._decode(run, tag, data.get(tag, []), width)
            with self._lock:
                self._cache[(experiment_id, run, tag)] = (stamp, series)

    def _read_tensors(self, ctx, experiment_id, run, tags):
        return self._provider.read_tensors(
            ctx,
            experiment_id=experiment_id,
            plugin_name=metadata.PLUGIN_NAME,
            downsample=self._downsample,
            run_tag_filter=provider.RunTagFilter(runs=[run], tags=tags),
        ).get(run, {})

    def signals_at(self, ctx, experiment_id, run, layer, steps):
        """The layer's callback signals at `steps`: {field: float64 [len(steps)]}.

        NaN where a step has no signals; None when the layer has no readable
        signals series.
        """
        if layer.signals_tag is None:
            return None
        layout = layer.signals_layout
        series = self.series(ctx, experiment_id, run, layer.signals_tag, layer.stamp, layout.width)
        if series is None or not len(series.steps):
            return None
        steps = np.asarray(steps)
        index = np.searchsorted(series.steps, steps)
        clipped = np.minimum(index, len(series.steps) - 1)
        found = (index < len(series.steps)) & (series.steps[clipped] == steps)
        signals = {}
        for name, column in layout.columns(series.values[clipped[found]]).items():
            aligned = np.full(len(steps), np.nan)
            aligned[found] = column
            signals[name] = aligned
        return signals

    def _decode(self, run, tag, points, width):
        steps = np.fromiter((p.step for p in points), np.int64, len(points))
        wall_times = np.fromiter((p.wall_time for p in points), np.float64, len(points))
        rows = [np.asarray(p.numpy) for p in points]
        bad = [r.shape for r in rows if r.shape != (width,)]
        if bad:
            self._warn_once(
                (run, tag),
                "skipping saturation series %r of run %r: expected tensors of "
                "shape (%d,), found %s" % (tag, run, width, bad[0]),
            )
            return None
        values = np.stack(rows) if rows else np.zeros((0, width))
        return _last_of_each_step(Series(steps=steps, wall_times=wall_times, values=values))

    def _warn_once(self, key, message):
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        logger.warning(message)


def _last_of_each_step(series):
    """`series` sorted by step, keeping the last point logged of each repeated step."""
    steps = series.steps
    if len(steps) < 2 or bool(np.all(steps[1:] > steps[:-1])):
        return series  # the usual case: already distinct and increasing
    order = np.argsort(steps, kind="stable")
    sorted_steps = steps[order]
    keep = order[np.append(sorted_steps[1:] != sorted_steps[:-1], True)]
    return Series(steps=steps[keep], wall_times=series.wall_times[keep], values=series.values[keep])


def _group_layers(run, tags, warn_once, parse=metadata.parse_plugin_metadata):
    """Joins the layer, units and signals series of one run into `Layer`s."""
    parsed = {}
    for tag, series in tags.items():
        try:
            parsed[tag] = (parse(series.plugin_content), series)
        except (TypeError, ValueError) as e:
            warn_once((run, tag), "skipping saturation series %r of run %r: %s" % (tag, run, e))
    companions = {}
    for tag, (content, _) in parsed.items():
        if content["kind"] != metadata.KIND_LAYER:
            companions[(content["layer"], content["kind"])] = (tag, content)
    layers = []
    for tag, (content, series) in parsed.items():
        if content["kind"] != metadata.KIND_LAYER:
            continue
        units_tag = companions.get((tag, metadata.KIND_UNITS), (None, None))[0]
        signals_tag, signals = companions.get((tag, metadata.KIND_SIGNALS), (None, None))
        layers.append(
            Layer(
                tag=tag,
                activation=content["activation"],
                eps=float(content["eps"]),
                edges=tuple(float(e) for e in content["edges"]),
                units=content["units"],
                order=content.get("order"),
                description=series.description or "",
                layout=metadata.layer_layout(content),
                units_tag=units_tag,
                signals_tag=signals_tag,
                signals_layout=metadata.signals_layout(signals) if signals else None,
                stamp=_stamp(tags, tag, units_tag, signals_tag),
                content=content,
                max_step=series.max_step,
            )
        )
    layers.sort(key=_network_order)
    return layers


def _stamp(tags, *names):
    return tuple(
        (tags[n].max_step, tags[n].max_wall_time) if n in tags else None for n in names
    )


def _network_order(layer):
    """Logged order first, then natural order of the tag ("dense_2" < "dense_10")."""
    natural = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", layer.tag)]
    natural = [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in natural]
    order = layer.order if isinstance(layer.order, int) else float("inf")
    return (order, natural)
