"""Summary metadata: data class, versioned JSON content, and the reader's checks."""

import json

import numpy as np
import pytest
from tensorboard.compat.proto import summary_pb2

from tensorboard_plugin_saturation import activations, metadata


def test_created_metadata_has_plugin_name_data_class_and_version():
    content = metadata.layer_content(activations.get("tanh"), 0.02, 8, order=3)
    md = metadata.create_summary_metadata("dense", "about dense", content)
    assert md.plugin_data.plugin_name == "saturation"
    assert md.data_class == summary_pb2.DATA_CLASS_TENSOR
    assert md.display_name == "dense" and md.summary_description == "about dense"
    parsed = metadata.parse_plugin_metadata(md.plugin_data.content)
    assert parsed == dict(content, version=metadata.CONTENT_VERSION)
    assert parsed["edges"][0] == -1.0 and parsed["edges"][-1] == 1.0 and len(parsed["edges"]) == 33


def test_units_and_signals_content_round_trip():
    for content in (metadata.units_content("dense", 5), metadata.signals_content("dense")):
        md = metadata.create_summary_metadata("x", None, content)
        assert metadata.parse_plugin_metadata(md.plugin_data.content)["layer"] == "dense"


def test_newer_version_raises_unsupported_version():
    content = json.dumps({"version": metadata.CONTENT_VERSION + 1, "kind": "layer"}).encode()
    with pytest.raises(metadata.UnsupportedVersionError, match=r"version 2 is newer than the supported 1"):
        metadata.parse_plugin_metadata(content)


@pytest.mark.parametrize(
    "content, error, message",
    [
        ("{}", TypeError, r"must be bytes; got str"),
        (b"\xff\xfe", ValueError, r"not JSON"),
        (b"[1]", ValueError, r"must be a JSON object; got list"),
        (b'{"kind": "layer"}', ValueError, r"no integer version: None"),
        (b'{"version": 1, "kind": "bogus"}', ValueError, r"kind must be one of .*got 'bogus'"),
        (b'{"version": 1, "kind": "layer", "activation": "relu", "eps": 0.01, "units": 3, "edges": [0], "fields": []}',
         ValueError, r"edges must be >= 2 numbers"),
        (b'{"version": 1, "kind": "units", "layer": "d", "units": "3", "scale": 255}',
         ValueError, r"needs 'units'; got '3'"),
    ],
)
def test_malformed_content_is_rejected_with_a_reason(content, error, message):
    with pytest.raises(error, match=message):
        metadata.parse_plugin_metadata(content)


def test_relu_edges_are_exact_in_float32():
    import numpy as np

    edges = np.asarray(activations.get("relu").edges)
    assert np.array_equal(edges.astype(np.float32).astype(np.float64), edges)
    assert edges[0] == 0.0 and edges[-1] == 4096.0


def test_layout_reads_fields_by_their_logged_position_not_the_current_one():
    # A layout a later (or earlier) version might write: other order, a field missing, 2 bins.
    content = {"fields": ["saturatedHigh", "count", "saturatedLow"], "edges": [0.0, 0.5, 1.0]}
    layout = metadata.layer_layout(content)
    values = np.array([[0.25, 10.0, 0.5, 7.0, 3.0], [0.0, 4.0, 0.125, 1.0, 3.0]])
    assert layout.width == 5 and layout.bins == 2
    assert layout.field(values, "count").tolist() == [10.0, 4.0]
    assert layout.saturated(values).tolist() == [0.75, 0.125]
    assert layout.histograms(values).tolist() == [[7.0, 3.0], [1.0, 3.0]]
    assert layout.field(values[0], "saturatedHigh") == 0.25
    assert layout.has("count", "saturatedLow") and not layout.has("count", "phi")
    assert list(layout.columns(values[1])) == ["saturatedHigh", "count", "saturatedLow"]
    with pytest.raises(KeyError, match=r"field 'phi' was not logged; the logged fields are \['saturatedHigh', 'count', 'saturatedLow'\]"):
        layout.field(values, "phi")


def test_current_layouts_match_what_the_writers_log():
    content = metadata.layer_content(activations.get("sigmoid"), 0.01, 4)
    layout = metadata.layer_layout(content)
    assert layout.fields == metadata.STATS_FIELDS and layout.width == len(metadata.STATS_FIELDS) + 32
    signals = metadata.signals_layout(metadata.signals_content("dense"))
    assert signals.fields == metadata.SIGNALS_FIELDS and signals.width == len(metadata.SIGNALS_FIELDS)


def test_writer_keys_name_the_framework_an_output_and_a_gate():
    assert metadata.writer_keys("torch") == {"framework": "torch"}
    assert metadata.writer_keys("keras", True) == {"framework": "keras", "output": True}
    assert metadata.writer_keys("keras", False, "lstm", "forget") == {
        "framework": "keras", "group": "lstm", "gate": "forget",
    }
