"""Why a run's units saturate: rules over the logged statistics, with remedies.

Three parts, one job each:

- `rules`: pure functions from `LayerSeries` (plain arrays) to `Finding`s:
  which layers have a problem, since when, the most likely cause and the
  evidence for it;
- `remedies`: the remedy text and code snippet of a finding;
- `reading`: reads a run through `reader.Reader` into `LayerSeries`.

`diagnose(run, layers)` joins rules and remedies into the JSON-ready answer;
`diagnose_run(reader, ctx, experiment_id, run)` reads a run first. The
`/diagnosis` route and the report CLI both call `diagnose_run`, so they give
the same answer. docs/diagnosis.md explains the rules in plain words.
"""

from tensorboard_plugin_saturation.diagnosis import reading
from tensorboard_plugin_saturation.diagnosis import remedies
from tensorboard_plugin_saturation.diagnosis import rules
from tensorboard_plugin_saturation.diagnosis.reading import read_run
from tensorboard_plugin_saturation.diagnosis.rules import CAUSE_LABELS
from tensorboard_plugin_saturation.diagnosis.rules import CAUSES
from tensorboard_plugin_saturation.diagnosis.rules import DEAD_UNITS_SHARE
from tensorboard_plugin_saturation.diagnosis.rules import HEALTHY
from tensorboard_plugin_saturation.diagnosis.rules import INPUT_STD_LARGE
from tensorboard_plugin_saturation.diagnosis.rules import KERNEL_RATIO_LARGE
from tensorboard_plugin_saturation.diagnosis.rules import LayerSeries
from tensorboard_plugin_saturation.diagnosis.rules import SATURATED
from tensorboard_plugin_saturation.diagnosis.rules import SATURATED_SHARE
from tensorboard_plugin_saturation.diagnosis.rules import UPDATE_RATIO_LARGE
from tensorboard_plugin_saturation.diagnosis.rules import layer_series

__all__ = [
    "CAUSES", "CAUSE_LABELS", "DEAD_UNITS_SHARE", "HEALTHY", "INPUT_STD_LARGE", "KERNEL_RATIO_LARGE",
    "LayerSeries", "SATURATED", "SATURATED_SHARE", "UPDATE_RATIO_LARGE", "diagnose", "diagnose_run",
    "layer_series", "read_run", "reading", "remedies", "rules",
]


def diagnose(run, layers):
    """Diagnoses one run from its layers' series (`LayerSeries`, network order).

    Returns:
      {"run": run, "status": "healthy" | "saturated", "findings": [...]}, each
      finding {"cause", "layers", "step", "evidence", "remedy", "snippet"},
      most important first; status is healthy iff there are no findings.
    """
    findings = []
    for finding in rules.find(layers):
        text, snippet = remedies.remedy(finding)
        findings.append({
            "cause": finding.cause,
            "layers": finding.layers,
            "step": finding.step,
            "evidence": finding.evidence,
            "remedy": text,
            "snippet": snippet,
        })
    return {"run": run, "status": SATURATED if findings else HEALTHY, "findings": findings}


def diagnose_run(reader, ctx, experiment_id, run, listed=None):
    """Reads `run` through `reader` and diagnoses it; None if it has no saturation data.

    `listed`: the run's `reader.Layer`s when the caller has listed them already.
    """
    layers = read_run(reader, ctx, experiment_id, run, listed)
    if layers is None:
        return None
    return diagnose(run, layers)
