"""`python -m tensorboard_plugin_saturation.report LOGDIR`: the diagnosis of every run.

Reads LOGDIR with TensorBoard's own loading code (the event multiplexer and
its data provider, keeping every saturation step) and diagnoses each run
with `diagnosis.diagnose_run`, the function behind the `/diagnosis` route.

```
saturation-report logs                       # readable report, one block per run
saturation-report logs --json                # {"runs": {"<run>": <diagnosis>}}
saturation-report logs --fail-on-saturated   # exit 1 if any run is saturated (CI)
```

Exit status: 0 done, 1 a run is saturated with `--fail-on-saturated`,
2 LOGDIR is missing, not a directory or holds no saturation data. Event
files directly in LOGDIR form a run named after LOGDIR's folder. Output piped
into a reader that stops early (`| head`) ends quietly.
"""

import argparse
import json
import os
import sys
import textwrap

from tensorboard import context as context_lib
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer

from tensorboard_plugin_saturation import diagnosis
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import reader as reader_lib

EXIT_OK = 0
EXIT_SATURATED = 1
EXIT_USAGE = 2

_WIDTH = 100

# A local log directory is one experiment with the empty id, read without auth.
CONTEXT = context_lib.RequestContext()
EXPERIMENT_ID = ""


class LogdirError(ValueError):
    """The log directory is missing or holds no saturation data."""


def open_logdir(logdir):
    """Loads `logdir` with TensorBoard's event multiplexer, keeping every saturation step.

    Returns:
      A `reader.Reader` over the multiplexer's data provider; read it with
      `CONTEXT` and `EXPERIMENT_ID`.

    Raises:
      LogdirError: `logdir` does not exist or is not a directory.
    """
    isdir, exists = os.path.isdir, os.path.exists
    if "://" in logdir:  # s3://..., gs://...: TensorBoard's gfile, as the multiplexer reads them
        from tensorboard.compat import tf  # pylint: disable=g-import-not-at-top

        isdir, exists = tf.io.gfile.isdir, tf.io.gfile.exists
    if not isdir(logdir):
        what = "does not exist" if not exists(logdir) else "is not a directory"
        raise LogdirError("log directory %r %s; expected a directory of event files" % (logdir, what))
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={metadata.PLUGIN_NAME: 0}  # 0 keeps every step
    )
    multiplexer.AddRunsFromDirectory(logdir)
    multiplexer.Reload()
    return reader_lib.Reader(data_provider.MultiplexerDataProvider(multiplexer, logdir), multiplexer=multiplexer)


def diagnose_logdir(logdir):
    """Returns {"runs": {run: diagnosis}} for every run under `logdir` with saturation data.

    Raises:
      LogdirError: `logdir` is not a directory, or no run has saturation data.
    """
    reader = open_logdir(logdir)
    runs = {}
    for run in sorted(reader.layers(CONTEXT, EXPERIMENT_ID)):
        result = diagnosis.diagnose_run(reader, CONTEXT, EXPERIMENT_ID, run)
        if result is not None:
            name = run_name(run, logdir)
            runs[name] = dict(result, run=name)
    if not runs:
        raise LogdirError(
            "no saturation data under %r; expected event files written by SaturationCallback "
            "or summary.saturation" % logdir
        )
    return {"runs": runs}


def run_name(run, logdir):
    """The run's name as the report shows it: TensorBoard calls the event files
    directly in LOGDIR the run ".", the report calls it by LOGDIR's folder name
    (`saturation-report logs/run1` reports on `run1`)."""
    if run != ".":
        return run
    return os.path.basename(os.path.normpath(os.path.abspath(logdir))) or run


def format_report(result, logdir):
    """The readable terminal report of `diagnose_logdir`'s result."""
    runs = result["runs"]
    saturated = [run for run, d in runs.items() if d["status"] == diagnosis.SATURATED]
    lines = [
        "Saturation report for %s: %d of %d runs saturated" % (logdir, len(saturated), len(runs)),
        "",
    ]
    for run, result_of_run in runs.items():
        findings = result_of_run["findings"]
        lines.append("%s: %s" % (run, "SATURATED" if findings else "healthy"))
        for number, finding in enumerate(findings, 1):
            lines.append(
                "  %d. cause: %s; layers: %s; since step %d"
                % (number, finding["cause"], ", ".join(finding["layers"]), finding["step"])
            )
            lines.extend(_field("evidence", finding["evidence"]))
            lines.extend(_field("remedy", finding["remedy"]))
            lines.append("     fix:")
            lines.extend("       " + line if line else "" for line in finding["snippet"].splitlines())
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _field(label, text):
    head = "     %-9s " % (label + ":")
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=head, subsequent_indent=" " * len(head),
        break_on_hyphens=False,
    )


def main(argv=None):
    """Runs the CLI; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="saturation-report",
        description="Diagnose saturated sigmoid/tanh units and dead ReLUs in every run under LOGDIR.",
    )
    parser.add_argument("logdir", metavar="LOGDIR", help="TensorBoard log directory")
    parser.add_argument("--json", action="store_true", help='print {"runs": {"<run>": <diagnosis>}}')
    parser.add_argument(
        "--fail-on-saturated", action="store_true", help="exit with status 1 if any run is saturated"
    )
    args = parser.parse_args(argv)
    try:
        result = diagnose_logdir(args.logdir)
    except LogdirError as e:
        print("saturation-report: error: %s" % e, file=sys.stderr)
        return EXIT_USAGE
    text = json.dumps(result, indent=2) if args.json else format_report(result, args.logdir)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped reading (`saturation-report logs | head`): stop
        # quietly, and point stdout at devnull so the exit's flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    saturated = any(d["status"] == diagnosis.SATURATED for d in result["runs"].values())
    return EXIT_SATURATED if args.fail_on_saturated and saturated else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
