"""The Saturation tab's backend: thin routes over impls that use the data provider.

Every route is documented in `http_api.md` beside this file. A route reads and
checks its query arguments (`errors.InvalidArgumentError`, 400) and calls its
impl, which raises `errors.NotFoundError` (404) for an unknown run or tag and
returns plain dicts. This module never imports TensorFlow.
"""

import json
import os

import numpy as np
from tensorboard import errors
from tensorboard.backend import http_util
from tensorboard.plugins import base_plugin
from tensorboard import plugin_util
from werkzeug import wrappers

from tensorboard_plugin_saturation import activations
from tensorboard_plugin_saturation import answer_cache
from tensorboard_plugin_saturation import diagnosis
from tensorboard_plugin_saturation import downsample
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import reader as reader_lib

_STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}

_DEFAULT_MAX_STEPS = 1000
_LIMIT_MAX_STEPS = 10000
_DEFAULT_MAX_UNITS = 512
_LIMIT_MAX_UNITS = 8192
# The statistics the layer route sends, each shown by the tab (the histogram's
# counts stand for `count`).
_LAYER_FIELDS = (
    "nonfinite", "saturatedLow", "saturatedHigh", "stuckUnits", "meanDerivative", "phi", "mean", "std", "outOfRange",
)
# Longest run or tag name a route accepts; TensorBoard's own names are far shorter.
_MAX_NAME_LENGTH = 4096


class SaturationPlugin(base_plugin.TBPlugin):
    """Serves the Saturation tab."""

    plugin_name = metadata.PLUGIN_NAME

    def __init__(self, context):
        hints = context.sampling_hints or {}
        self._reader = reader_lib.Reader(
            context.data_provider,
            downsample=hints.get(metadata.PLUGIN_NAME, reader_lib.DEFAULT_SAMPLES),
            multiplexer=context.multiplexer,
        )
        self._static_files = _static_allowlist()
        self._answers = answer_cache.AnswerCache()
        self._entries = {}  # (experiment, run) -> (the reader's [Layer] list, its `runs` entries)

    def get_plugin_apps(self):
        routes = {
            "/runs": self.runs_route,
            "/overview": self.overview_route,
            "/layer": self.layer_route,
            "/units": self.units_route,
            "/diagnosis": self.diagnosis_route,
            "/static/*": self.static_route,
        }
        return {path: _read_only(app) for path, app in routes.items()}

    def is_active(self):
        return False  # core enables the tab when saturation data exists

    def frontend_metadata(self):
        return base_plugin.FrontendMetadata(
            es_module_path="/static/index.js", tab_name="Saturation"
        )

    # -- runs ---------------------------------------------------------------

    @wrappers.Request.application
    def runs_route(self, request):
        ctx, eid = _context(request)
        return _json(request, self.runs_impl(ctx, eid))

    def runs_impl(self, ctx, experiment_id):
        """Every run and layer, from the provider's listing alone: no series is read,
        so a sweep of hundreds of runs costs its number of series, not its steps."""
        runs = [
            {"run": run, "layers": self._layer_entries(experiment_id, run, layers)}
            for run, layers in sorted(self._reader.layers(ctx, experiment_id).items())
        ]
        logged = {layer["activation"] for run in runs for layer in run["layers"]}
        return {
            "runs": runs,
            "limits": {"maxSteps": _LIMIT_MAX_STEPS, "maxUnits": _LIMIT_MAX_UNITS},
            "activations": activations.to_json(logged),
            "causeLabels": dict(diagnosis.CAUSE_LABELS),
        }

    def _layer_entries(self, experiment_id, run, layers):
        """The run's `runs` entries; the reader hands back the same list while the run is unchanged."""
        known = self._entries.get((experiment_id, run))
        if known is not None and known[0] is layers:
            return known[1]
        entries = [_layer_entry(layer) for layer in layers]
        if len(self._entries) >= 100000:
            self._entries.clear()
        self._entries[(experiment_id, run)] = (layers, entries)
        return entries

    # -- overview -----------------------------------------------------------

    @wrappers.Request.application
    def overview_route(self, request):
        ctx, eid = _context(request)
        run = _name_arg(request, "run")
        max_steps = _int_arg(request, "maxSteps", _DEFAULT_MAX_STEPS, 1, _LIMIT_MAX_STEPS)
        return _json(request, self.overview_impl(ctx, eid, run, max_steps))

    def overview_impl(self, ctx, experiment_id, run, max_steps):
        layers = self._run_layers(ctx, experiment_id, run)
        return self._answers.get(
            ("overview", experiment_id, run, max_steps),
            _version(layers),
            lambda: _Answer(self._overview(ctx, experiment_id, run, layers, max_steps)),
        )

    def _overview(self, ctx, experiment_id, run, layers, max_steps):
        self._reader.prefetch(ctx, experiment_id, run, layers)
        tags, series, layouts = [], [], []
        for layer in layers:
            s = self._layer_series(ctx, experiment_id, run, layer)
            if s is not None:
                tags.append(layer.tag)
                series.append(s)
                layouts.append(layer.layout)
        steps = np.unique(np.concatenate([s.steps for s in series])) if series else np.zeros(0, np.int64)
        grid = np.full((len(series), len(steps)), np.nan)
        for row, (s, layout) in enumerate(zip(series, layouts)):
            grid[row, np.searchsorted(steps, s.steps)] = layout.saturated(s.values)
        starts = downsample.column_starts(len(steps), max_steps)
        return {
            "run": run,
            "layers": tags,
            "steps": _ints(steps[starts]),
            "stepEnds": _column_ends(steps, starts),
            "values": [_floats(row, 4) for row in downsample.column_max(grid, starts)],
        }

    # -- layer --------------------------------------------------------------

    @wrappers.Request.application
    def layer_route(self, request):
        ctx, eid = _context(request)
        run = _name_arg(request, "run")
        tag = _name_arg(request, "tag")
        max_steps = _int_arg(request, "maxSteps", _DEFAULT_MAX_STEPS, 1, _LIMIT_MAX_STEPS)
        return _json(request, self.layer_impl(ctx, eid, run, tag, max_steps))

    def layer_impl(self, ctx, experiment_id, run, tag, max_steps):
        layer = self._find_layer(ctx, experiment_id, run, tag)
        return self._answers.get(
            ("layer", experiment_id, run, tag, max_steps),
            layer.stamp,
            lambda: _Answer(self._layer(ctx, experiment_id, run, tag, layer, max_steps)),
        )

    def _layer(self, ctx, experiment_id, run, tag, layer, max_steps):
        series = self._layer_series(ctx, experiment_id, run, layer)
        if series is None:
            raise errors.NotFoundError("tag %r of run %r cannot be read" % (tag, run))
        layout = layer.layout
        values = series.values
        saturated = layout.saturated(values)
        starts = downsample.column_starts(len(values), max_steps)
        picks = downsample.column_argmax(saturated, starts)
        values = values[picks]
        result = {
            "run": run,
            "tag": tag,
            "activation": layer.activation,
            "eps": layer.eps,
            "description": layer.description,
            "units": layer.units,
            "edges": list(layer.edges),
            "totalSteps": int(len(series.steps)),
            "steps": _ints(series.steps[starts]),
            "stepEnds": _column_ends(series.steps, starts),
            "shownSteps": _ints(series.steps[picks]),
            "histograms": [_floats(row) for row in layout.histograms(values)],
        }
        for name in _LAYER_FIELDS:
            # A field a log's layout lacks is unknown (null) at every step.
            column = layout.field(values, name) if name in layout.fields else np.full(len(values), np.nan)
            result[name] = _floats(column, 6)
        signals = self._reader.signals_at(ctx, experiment_id, run, layer, series.steps[picks])
        result["signals"] = None if signals is None else {
            name: _floats(aligned, 6) for name, aligned in signals.items()
        }
        return result

    # -- units --------------------------------------------------------------

    @wrappers.Request.application
    def units_route(self, request):
        ctx, eid = _context(request)
        run = _name_arg(request, "run")
        tag = _name_arg(request, "tag")
        max_steps = _int_arg(request, "maxSteps", _DEFAULT_MAX_STEPS, 1, _LIMIT_MAX_STEPS)
        max_units = _int_arg(request, "maxUnits", _DEFAULT_MAX_UNITS, 1, _LIMIT_MAX_UNITS)
        return _json(request, self.units_impl(ctx, eid, run, tag, max_steps, max_units))

    def units_impl(self, ctx, experiment_id, run, tag, max_steps, max_units):
        layer = self._find_layer(ctx, experiment_id, run, tag)
        return self._answers.get(
            ("units", experiment_id, run, tag, max_steps, max_units),
            layer.stamp,
            lambda: _Answer(self._units(ctx, experiment_id, run, tag, layer, max_steps, max_units)),
        )

    def _units(self, ctx, experiment_id, run, tag, layer, max_steps, max_units):
        if layer.units_tag is None:
            raise errors.NotFoundError("tag %r of run %r has no per-unit data" % (tag, run))
        series = self._reader.series(
            ctx, experiment_id, run, layer.units_tag, layer.stamp, layer.units
        )
        if series is None:
            raise errors.NotFoundError("per-unit data of tag %r of run %r cannot be read" % (tag, run))
        shares = series.values.astype(np.float64)  # [T, U], 0..UNITS_SCALE
        # Most saturated units first: by mean share over all steps, then by index.
        order = np.lexsort((np.arange(layer.units), -shares.mean(axis=0))) if len(shares) else np.arange(layer.units)
        step_starts = downsample.column_starts(len(shares), max_steps)
        unit_starts = downsample.column_starts(layer.units, max_units)
        by_step = downsample.column_max(shares[:, order].T, step_starts).T if len(shares) else shares
        grouped = downsample.column_max(by_step, unit_starts)
        stuck = (series.values == metadata.UNITS_SCALE).sum(axis=1)
        return {
            "run": run,
            "tag": tag,
            "units": layer.units,
            "scale": metadata.UNITS_SCALE,
            "order": _ints(order),
            "unitStarts": _ints(unit_starts),
            "steps": _ints(series.steps[step_starts]) if len(shares) else [],
            "stepEnds": _column_ends(series.steps, step_starts),
            "stuckUnits": _ints(downsample.column_max(stuck, step_starts)) if len(shares) else [],
            "values": [_ints(row) for row in grouped],
        }

    # -- diagnosis ----------------------------------------------------------

    @wrappers.Request.application
    def diagnosis_route(self, request):
        ctx, eid = _context(request)
        run = _name_arg(request, "run")
        return _json(request, self.diagnosis_impl(ctx, eid, run))

    def diagnosis_impl(self, ctx, experiment_id, run):
        """The run's diagnosis, as the report CLI gives it (`diagnosis.diagnose_run`)."""
        layers = self._run_layers(ctx, experiment_id, run)

        def compute():
            self._reader.prefetch(ctx, experiment_id, run, layers, signals=True)
            result = diagnosis.diagnose_run(self._reader, ctx, experiment_id, run, layers)
            return None if result is None else _Answer(result)

        result = self._answers.get(("diagnosis", experiment_id, run), _version(layers), compute)
        if result is None:
            raise errors.NotFoundError("no saturation data for run %r" % run)
        return result

    # -- static -------------------------------------------------------------

    @wrappers.Request.application
    def static_route(self, request):
        name = request.path.rsplit("/static/", 1)[-1]
        entry = self._static_files.get(name)
        if entry is None:
            return http_util.Respond(request, "Not found", "text/plain", code=404)
        path, content_type = entry
        with open(path, "rb") as f:
            body = f.read()
        return http_util.Respond(request, body, content_type)

    # -- helpers ------------------------------------------------------------

    def _run_layers(self, ctx, experiment_id, run):
        layers = self._reader.layers(ctx, experiment_id, run=run).get(run)
        if not layers:
            raise errors.NotFoundError("no saturation data for run %r" % run)
        return layers

    def _find_layer(self, ctx, experiment_id, run, tag):
        """The `Layer` of `tag`; lists the whole run only to tell which name is unknown."""
        layer = self._reader.layer(ctx, experiment_id, run, tag)
        if layer is not None:
            return layer
        for layer in self._run_layers(ctx, experiment_id, run):
            if layer.tag == tag:
                return layer
        raise errors.NotFoundError("no saturation data for tag %r of run %r" % (tag, run))

    def _layer_series(self, ctx, experiment_id, run, layer):
        return self._reader.series(ctx, experiment_id, run, layer.tag, layer.stamp, layer.layout.width)


def _layer_roles(content):
    """What the tab shows of a layer's optional metadata keys: {"output": True} for a model
    output, {"group", "gate"} for a recurrent gate series; nothing for what was not logged."""
    roles = {}
    if content.get("output") is True:
        roles["output"] = True
    group, gate = content.get("group"), content.get("gate")
    if isinstance(group, str) and isinstance(gate, str) and group and gate:
        roles["group"], roles["gate"] = group, gate
    return roles


def _layer_entry(layer):
    """One layer of the `runs` answer: what its metadata and the listing say."""
    return {
        "tag": layer.tag,
        "activation": layer.activation,
        "units": layer.units,
        "maxStep": int(layer.max_step),
        "hasUnits": layer.units_tag is not None,
        "hasSignals": layer.signals_tag is not None,
        **_layer_roles(layer.content),
    }


def _version(layers):
    """What a per-run answer was computed from: each layer's tag and stamp."""
    return tuple((layer.tag, layer.stamp) for layer in layers)


def _read_only(app):
    """Wraps a route so that any method but GET and HEAD answers 405 with `Allow`."""

    def guarded(environ, start_response):
        if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            return app(environ, start_response)
        response = http_util.Respond(
            wrappers.Request(environ),
            "Method not allowed: the saturation routes answer GET only",
            "text/plain",
            code=405,
            headers=[("Allow", "GET, HEAD")],
        )
        return response(environ, start_response)

    return guarded


def _static_allowlist():
    """{file name: (path, content type)} of every servable file in static/."""
    files = {}
    for name in sorted(os.listdir(_STATIC_DIR)):
        content_type = _CONTENT_TYPES.get(os.path.splitext(name)[1])
        path = os.path.join(_STATIC_DIR, name)
        if content_type and os.path.isfile(path):
            files[name] = (path, content_type)
    return files


def _context(request):
    return plugin_util.context(request.environ), plugin_util.experiment_id(request.environ)


def _name_arg(request, name):
    value = request.args.get(name)
    if value is None:
        raise errors.InvalidArgumentError("missing query parameter %r" % name)
    if not value or len(value) > _MAX_NAME_LENGTH:
        raise errors.InvalidArgumentError(
            "query parameter %r must be 1 to %d characters; got %d"
            % (name, _MAX_NAME_LENGTH, len(value))
        )
    return value


def _int_arg(request, name, default, low, high):
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.InvalidArgumentError(
            "query parameter %r must be an integer in [%d, %d]; got %r" % (name, low, high, raw[:100])
        ) from None
    if not low <= value <= high:
        raise errors.InvalidArgumentError(
            "query parameter %r must be an integer in [%d, %d]; got %d" % (name, low, high, value)
        )
    return value


def _column_ends(steps, starts):
    """The last step of each column that starts at index `starts` of `steps`."""
    if not len(steps):
        return []
    return _ints(steps[np.append(starts[1:], len(steps)) - 1])


def _ints(values):
    """Nested lists of Python ints (any shape), converted by numpy in C."""
    return np.asarray(values).astype(np.int64).tolist()


def _floats(values, digits=None):
    """Nested lists of floats for JSON (any shape): NaN and infinities become
    null, optionally rounded to `digits` decimals. Vectorized: only the
    non-finite entries are touched in Python."""
    array = np.asarray(values, np.float64)
    if digits is not None:
        array = np.round(array, digits)
    out = array.tolist()
    for index in np.argwhere(~np.isfinite(array)).tolist():
        row = out
        for i in index[:-1]:
            row = row[i]
        row[index[-1]] = None
    return out


class _Answer(dict):
    """A cached answer: serialized once, on its first response, then served as that text."""

    json_text = None


def _json(request, body):
    """Serializes `body` with the C JSON encoder; the impls already map NaN to
    null, so TensorBoard's recursive `Cleanse` (the slowest part of a large
    response) is only the fallback for a body the fast path refuses."""
    text = getattr(body, "json_text", None)
    if text is None:
        try:
            text = json.dumps(body, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):
            return http_util.Respond(request, body, "application/json")
        if isinstance(body, _Answer):
            body.json_text = text
    return http_util.Respond(request, text, "application/json")
