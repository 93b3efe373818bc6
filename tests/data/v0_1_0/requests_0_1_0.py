"""The requests asked of the frozen 0.1.0 logs: every route, plain and downsampled."""

from urllib.parse import quote

REPORT_ARGS = ((), ("--json",), ("--fail-on-saturated",))


def requests(runs_answer):
    """Every request path (after /data/plugin/saturation/) asked of the logs listed in `runs_answer`."""
    paths = ["runs"]
    for run in runs_answer["runs"]:
        r = quote(run["run"])
        paths += ["overview?run=%s" % r, "overview?run=%s&maxSteps=2" % r, "diagnosis?run=%s" % r]
        for layer in run["layers"]:
            t = "run=%s&tag=%s" % (r, quote(layer["tag"]))
            paths += ["layer?" + t, "layer?%s&maxSteps=2" % t]
            if layer["hasUnits"]:
                paths += ["units?" + t, "units?%s&maxSteps=2&maxUnits=2" % t]
    return paths
