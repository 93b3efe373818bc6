#!/usr/bin/env bash
# The main job: installs, trains the demo runs, starts TensorBoard with the Saturation tab.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${PORT:-6006}"
logdir="${LOGDIR:-demo/logs}"
bash scripts/install.sh demo
if [ -d "$logdir/bad_init" ]; then
    echo "demo.sh: reusing the runs in $logdir (delete it to train again)"
else
    .venv/bin/python demo/train.py --logdir "$logdir"
fi
.venv/bin/python -m tensorboard_plugin_saturation.report "$logdir"
echo
echo "Saturation tab: http://127.0.0.1:${port}/#saturation   (Ctrl+C to stop)"
exec .venv/bin/tensorboard --logdir "$logdir" --host 127.0.0.1 --port "$port"
