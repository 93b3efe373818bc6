"""Summary metadata: data class, versioned JSON content, and the reader's checks."""

import json

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
