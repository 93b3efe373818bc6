"""Shared fixtures: event files written with the real API, read by TensorBoard's data provider."""

import os

import numpy as np
import pytest
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from werkzeug import test as werkzeug_test

from tensorboard_plugin_saturation import plugin as plugin_lib

# TensorFlow and PyTorch in one process can crash it: tests/torch runs in a pytest
# process of its own, with TensorFlow blocked (scripts/test.sh; tests/torch/conftest.py).
collect_ignore = [] if os.environ.get("SATURATION_TORCH_TESTS") == "1" else ["torch"]


def make_client(logdir, sampling_hints=None):
    """A werkzeug client over TensorBoardWSGI([SaturationPlugin]) over `logdir`."""
    client, plugin, _ = make_reloadable_client(logdir, sampling_hints)
    return client, plugin


def make_reloadable_client(logdir, sampling_hints=None):
    """As `make_client`, plus the multiplexer, whose Reload() picks up new events. The plugin
    gets the multiplexer too, as `tensorboard --load_fast=false` gives it."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"saturation": 0})
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, logdir)
    context = base_plugin.TBContext(
        logdir=logdir, data_provider=provider, multiplexer=multiplexer, sampling_hints=sampling_hints or {}
    )
    plugin = plugin_lib.SaturationPlugin(context)
    return werkzeug_test.Client(application.TensorBoardWSGI([plugin])), plugin, multiplexer


@pytest.fixture
def rng():
    return np.random.default_rng(0)
