"""The TensorBoard entry point: a loader that keeps every logged step."""

from tensorboard.plugins import base_plugin

from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import plugin
from tensorboard_plugin_saturation.reader import DEFAULT_SAMPLES


class SaturationLoader(base_plugin.TBLoader):
    """Loads `SaturationPlugin` and raises TensorBoard's sampling default for it."""

    def define_flags(self, parser):
        parser.add_argument(
            "--saturation_samples",
            type=int,
            default=None,
            help="Steps per saturation series to keep in memory (0 = all). "
            "Default %d, unless --samples_per_plugin names 'saturation'." % DEFAULT_SAMPLES,
        )

    def fix_flags(self, flags):
        samples = getattr(flags, "saturation_samples", None)
        if samples is not None and samples < 0:
            raise base_plugin.FlagsError(
                "--saturation_samples must be >= 0; got %d" % samples
            )
        hints = getattr(flags, "samples_per_plugin", None)
        if not isinstance(hints, dict):
            return  # set programmatically as a raw string: leave it alone
        if samples is not None:
            hints[metadata.PLUGIN_NAME] = samples
        else:
            hints.setdefault(metadata.PLUGIN_NAME, DEFAULT_SAMPLES)

    def load(self, context):
        return plugin.SaturationPlugin(context)
