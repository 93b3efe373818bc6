"""The reading adapter: a run read through `reader.Reader`, as `rules.LayerSeries`."""

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation.diagnosis import rules


def read_run(reader, ctx, experiment_id, run, listed=None):
    """Reads one run as `LayerSeries` in network order; None if it has no saturation data.

    Layers whose series cannot be read, are empty, or come from an activation
    or layout this version does not know are left out. `listed`: the run's
    `reader.Layer`s when the caller has listed them already.
    """
    layers = listed if listed is not None else reader.layers(ctx, experiment_id, run=run).get(run)
    if not layers:
        return None
    result = []
    for layer in layers:
        content = layer.content or {}
        known = activations_lib.is_supported(layer.activation)
        if not known or not layer.layout.has(*rules.NEEDED_STATS):
            continue
        series = reader.series(ctx, experiment_id, run, layer.tag, layer.stamp, layer.layout.width)
        if series is None or not len(series.steps):
            continue
        steps, values = series.steps, series.values  # distinct and increasing (see reader.Series)
        optional = [name for name in rules.OPTIONAL_STATS if layer.layout.has(name)]
        stats = layer.layout.columns(values, rules.NEEDED_STATS + tuple(optional))
        result.append(
            rules.layer_series(
                layer.tag, layer.activation, layer.units, steps, stats,
                reader.signals_at(ctx, experiment_id, run, layer, steps),
                framework=content.get("framework"),
                output=content.get("output") is True,
                train_step=content.get("trainStep"),
                group=content.get("group"),
            )
        )
    return result
