"""Summary metadata of the saturation plugin: one source of truth.

Every summary this plugin writes carries `PLUGIN_NAME`, `DATA_CLASS_TENSOR` and
a small versioned JSON content. There are three kinds of series per layer:

| kind      | tag             | tensor per step                  | written by            |
| --------- | --------------- | -------------------------------- | --------------------- |
| `layer`   | `NAME`          | float64 [len(STATS_FIELDS) + bins] | both summary paths    |
| `units`   | `NAME/units`    | uint8 [units], per-unit saturated share x 255 | both summary paths |
| `signals` | `NAME/signals`  | float64 [len(SIGNALS_FIELDS)]    | `SaturationCallback`  |

The JSON content holds what is constant per tag (activation, eps, bin edges,
units, the field layout); per-step values live in the tensor. Optional keys of
a `layer` content (absent in 0.1 logs: readers treat absent as unknown):
"framework" ("keras", "torch" or "tf": who wrote it), "output" (true for a
model output), "group" and "gate" (a recurrent gate series "<layer>/<gate>"),
"trainStep" ("custom": a Keras model with its own train_step).
"""

import json

import numpy as np
from tensorboard.compat.proto import summary_pb2

PLUGIN_NAME = "saturation"

# Bump when a reader of this version could not read the new content.
CONTENT_VERSION = 1

KIND_LAYER = "layer"
KIND_UNITS = "units"
KIND_SIGNALS = "signals"
KINDS = (KIND_LAYER, KIND_UNITS, KIND_SIGNALS)

UNITS_SUFFIX = "/units"
SIGNALS_SUFFIX = "/signals"

# Layout of a `layer` tensor: these fields, then the histogram counts.
STATS_FIELDS = (
    "count",  # number of values, finite or not
    "nonfinite",  # number of NaN and +-Inf values
    "saturatedLow",  # share of finite values within eps of the low asymptote (relu: == 0)
    "saturatedHigh",  # share of finite values within eps of the high asymptote (relu: 0)
    "stuckUnits",  # units saturated in every sample (relu: dead units)
    "meanDerivative",  # mean f'(x) computed from the outputs
    "phi",  # Rakitianskaia & Engelbrecht saturation measure (relu: NaN)
    "mean",
    "std",
    "outOfRange",  # share of finite values outside the activation's range
)

# Layout of a `signals` tensor (NaN where unknown).
SIGNALS_FIELDS = (
    "inputStd",  # std of the layer's input on the probe batch
    "inputMaxAbs",  # max |x| of the layer's input on the probe batch
    "kernelStd",  # std of the layer's kernel
    "glorotStd",  # sqrt(2 / (fan_in + fan_out)) of that kernel
    "updateRatio",  # |W_now - W_last_log| / |W_last_log|
    "learningRate",  # the optimizer's learning rate at this step
    "normalizationInitial",  # share of BatchNormalization moving statistics still initial (momentum ** steps)
)

# Per-unit shares are stored as uint8: round(share * UNITS_SCALE), except that
# a share strictly between 0 and 1 never maps to 0 or UNITS_SCALE, so 0 means
# "never saturated" and UNITS_SCALE means "saturated in every sample".
UNITS_SCALE = 255


class Layout:
    """Reads logged vectors by field name, in the layout they were LOGGED with.

    A `layer` or `signals` content names its `fields` in order; a `layer`
    vector then holds the histogram counts. Index by the logged names, never by
    the current `STATS_FIELDS`, so a later layout still reads every older log.
    """

    def __init__(self, fields, bins=0):
        self.fields = tuple(fields)
        self.bins = int(bins)
        self.width = len(self.fields) + self.bins  # length of one logged vector
        self._index = {name: i for i, name in enumerate(self.fields)}

    def has(self, *names):
        """True when every field in `names` was logged."""
        return all(name in self._index for name in names)

    def field(self, values, name):
        """Field `name` of a vector, or of a [steps, width] matrix (one value per step)."""
        index = self._index.get(name)
        if index is None:
            raise KeyError("field %r was not logged; the logged fields are %s" % (name, list(self.fields)))
        return np.asarray(values)[..., index]

    def columns(self, values, names=None):
        """{name: field} for `names` (default: every logged field)."""
        names = self.fields if names is None else names
        return {name: self.field(values, name) for name in names}

    def histograms(self, values):
        """The histogram counts of a `layer` vector or matrix."""
        return np.asarray(values)[..., len(self.fields):]

    def saturated(self, values):
        """The saturated share, low + high (relu: share of zeros)."""
        return self.field(values, "saturatedLow") + self.field(values, "saturatedHigh")


def layer_layout(content):
    """The `Layout` of a parsed `layer` content: its logged fields, then one count per bin."""
    return Layout(content["fields"], len(content["edges"]) - 1)


def signals_layout(content):
    """The `Layout` of a parsed `signals` content."""
    return Layout(content["fields"])


class UnsupportedVersionError(ValueError):
    """The content was written by a newer version of this plugin."""


def create_summary_metadata(display_name, description, content):
    """Returns a `SummaryMetadata` proto with the given JSON `content` dict.

    `content` gets the current `version`; the data class is always
    `DATA_CLASS_TENSOR`, without which TensorBoard's data providers ignore
    third-party series.
    """
    content = dict(content, version=CONTENT_VERSION)
    return summary_pb2.SummaryMetadata(
        display_name=display_name or "",
        summary_description=description or "",
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME,
            content=json.dumps(content, separators=(",", ":"), sort_keys=True).encode(),
        ),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )


def create_layer_metadata(tag, description, activation, eps, units, order=None, extra=None):
    """Returns the (`layer`, `units`) `SummaryMetadata` pair of the layer `tag`.

    `extra`: optional keys of the `layer` content ("framework", "output",
    "group", "gate", "trainStep"; see the module docstring).
    """
    layer_md = create_summary_metadata(
        tag, description, layer_content(activation, eps, units, order, extra)
    )
    units_md = create_summary_metadata(
        tag + UNITS_SUFFIX, None, units_content(tag, units)
    )
    return layer_md, units_md


def writer_keys(framework, output=False, group=None, gate=None):
    """The optional `layer` content keys a framework's logger writes (see the module docstring):
    "framework", "output" when the layer is a model output, "group" and "gate" for a recurrent gate."""
    keys = {"framework": framework}
    if output:
        keys["output"] = True
    if group is not None:
        keys.update(group=group, gate=gate)
    return keys


def layer_content(activation, eps, units, order=None, extra=None):
    """The content of a `layer` series: everything constant per tag, plus `extra`."""
    content = {
        "kind": KIND_LAYER,
        "activation": activation.name,
        "eps": eps,
        "edges": list(activation.edges),
        "units": units,
        "fields": list(STATS_FIELDS),
    }
    if order is not None:
        content["order"] = order
    content.update(extra or {})
    return content


def units_content(layer_tag, units):
    return {"kind": KIND_UNITS, "layer": layer_tag, "units": units, "scale": UNITS_SCALE}


def signals_content(layer_tag):
    return {"kind": KIND_SIGNALS, "layer": layer_tag, "fields": list(SIGNALS_FIELDS)}


def parse_plugin_metadata(content):
    """Parses the plugin content bytes into a dict with at least `version` and `kind`.

    Raises:
      TypeError: `content` is not bytes.
      UnsupportedVersionError: written by a newer, incompatible version.
      ValueError: not valid content of this plugin.
    """
    if not isinstance(content, (bytes, bytearray)):
        raise TypeError(
            "plugin content must be bytes; got %s" % type(content).__name__
        )
    try:
        parsed = json.loads(bytes(content).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError("plugin content is not JSON: %s" % e) from None
    if not isinstance(parsed, dict):
        raise ValueError(
            "plugin content must be a JSON object; got %s" % type(parsed).__name__
        )
    version = parsed.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError("plugin content has no integer version: %r" % (version,))
    if version > CONTENT_VERSION:
        raise UnsupportedVersionError(
            "plugin content version %d is newer than the supported %d; "
            "upgrade tensorboard-plugin-saturation" % (version, CONTENT_VERSION)
        )
    kind = parsed.get("kind")
    if kind not in KINDS:
        raise ValueError("plugin content kind must be one of %s; got %r" % (KINDS, kind))
    _check_content(parsed)
    return parsed


def _check_content(parsed):
    """Checks the keys each kind needs, so readers can index them safely."""
    kind = parsed["kind"]
    if kind == KIND_LAYER:
        _require(parsed, "activation", str)
        _require(parsed, "eps", (int, float))
        _require(parsed, "units", int)
        edges = _require(parsed, "edges", list)
        fields = _require(parsed, "fields", list)
        if len(edges) < 2 or not all(
            isinstance(e, (int, float)) and not isinstance(e, bool) for e in edges
        ):
            raise ValueError("plugin content edges must be >= 2 numbers")
        if not all(isinstance(f, str) for f in fields):
            raise ValueError("plugin content fields must be strings")
    else:
        _require(parsed, "layer", str)
        if kind == KIND_UNITS:
            _require(parsed, "units", int)
            _require(parsed, "scale", int)
        else:
            fields = _require(parsed, "fields", list)
            if not all(isinstance(f, str) for f in fields):
                raise ValueError("plugin content fields must be strings")


def _require(parsed, key, types):
    value = parsed.get(key)
    if isinstance(value, bool) or not isinstance(value, types):
        raise ValueError(
            "plugin content of kind %r needs %r; got %r" % (parsed["kind"], key, value)
        )
    return value
