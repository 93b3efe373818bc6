#!/usr/bin/env bash
# Runs every test: Python (unit, routes, real tensorboard, browser) and the frontend's node tests.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test || exit 1

(cd frontend && node --test)
node_status=$?

.venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
pytest_status=$?
if [ "$pytest_status" = 5 ]; then
    echo "test.sh: pytest collected no tests: failing" >&2
    pytest_status=1
fi

if [ "$node_status" != 0 ] || [ "$pytest_status" != 0 ]; then
    echo "test.sh: FAILED (node --test: $node_status, pytest: $pytest_status)" >&2
    exit 1
fi
