"""The loader keeps every logged step, on both TensorBoard back-ends."""

import argparse

import pytest
from tensorboard import context, program
from tensorboard.backend.event_processing import data_ingester
from tensorboard.plugins import base_plugin
from tensorboard.plugins.core import core_plugin

from tensorboard_plugin_saturation import loader
from tests import logs
from tests.tensorboard_process import wait_for


def configured_flags(*argv):
    tb = program.TensorBoard(plugins=[core_plugin.CorePluginLoader(), loader.SaturationLoader()])
    tb.configure(("tensorboard",) + argv)
    return tb.flags


def test_default_raises_samples_for_saturation_only():
    flags = configured_flags("--logdir", "/tmp/x")
    assert flags.samples_per_plugin == {"saturation": 10000}


def test_users_samples_per_plugin_wins():
    flags = configured_flags("--logdir", "/tmp/x", "--samples_per_plugin", "saturation=50,scalars=2000")
    assert flags.samples_per_plugin == {"saturation": 50, "scalars": 2000}


def test_saturation_samples_flag_sets_the_value():
    flags = configured_flags("--logdir", "/tmp/x", "--saturation_samples", "0")
    assert flags.samples_per_plugin == {"saturation": 0}


def test_negative_saturation_samples_is_a_flags_error():
    with pytest.raises(base_plugin.FlagsError, match=r"--saturation_samples must be >= 0; got -1"):
        configured_flags("--logdir", "/tmp/x", "--saturation_samples", "-1")


def test_a_raw_string_set_programmatically_is_left_alone():
    flags = argparse.Namespace(samples_per_plugin="saturation=5", saturation_samples=None)
    loader.SaturationLoader().fix_flags(flags)
    assert flags.samples_per_plugin == "saturation=5"


def _steps_served(provider, logdir):
    listing = provider.list_tensors(context.RequestContext(), experiment_id="", plugin_name="saturation")
    if "run" not in listing or "dense" not in listing["run"]:
        return None
    data = provider.read_tensors(context.RequestContext(), experiment_id="", plugin_name="saturation",
                                 downsample=100000)
    return len(data["run"]["dense"])


def test_python_loader_serves_all_300_steps(tmp_path):
    logs.write_run(str(tmp_path), "run", layers=("dense",), steps=range(300), samples=4, units=2)
    flags = configured_flags("--logdir", str(tmp_path), "--load_fast", "false", "--reload_task", "blocking", "--reload_interval", "0")
    ingester = data_ingester.LocalDataIngester(flags)
    ingester.start()
    assert _steps_served(ingester.data_provider, str(tmp_path)) == 300


def test_rustboard_serves_all_300_steps(tmp_path):
    from tensorboard.data import server_ingester
    from tensorboard.util import grpc_util

    try:
        binary = server_ingester.get_server_binary()
    except server_ingester.NoDataServerError as e:
        pytest.skip("no RustBoard data server: %s" % e)
    logs.write_run(str(tmp_path), "run", layers=("dense",), steps=range(300), samples=4, units=2)
    flags = configured_flags("--logdir", str(tmp_path), "--load_fast", "true")
    ingester = server_ingester.SubprocessServerDataIngester(
        server_binary=binary, logdir=str(tmp_path), reload_interval=0,
        channel_creds_type=grpc_util.ChannelCredsType.LOCAL,
        samples_per_plugin=flags.samples_per_plugin,
    )
    ingester.start()
    assert wait_for(lambda: _steps_served(ingester.data_provider, str(tmp_path)) == 300, timeout=60)


def test_without_the_loader_tensorboard_keeps_only_10(tmp_path):
    """Guards the reason the loader exists: if this changes, revisit fix_flags."""
    logs.write_run(str(tmp_path), "run", layers=("dense",), steps=range(300), samples=4, units=2)
    tb = program.TensorBoard(plugins=[core_plugin.CorePluginLoader()])
    tb.configure(("tensorboard", "--logdir", str(tmp_path), "--load_fast", "false", "--reload_task", "blocking", "--reload_interval", "0"))
    ingester = data_ingester.LocalDataIngester(tb.flags)
    ingester.start()
    assert _steps_served(ingester.data_provider, str(tmp_path)) == 10
