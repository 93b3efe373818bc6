#!/usr/bin/env bash
# Runs every test: Python (unit, routes, real tensorboard, browser) and the frontend's node tests.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test || exit 1

(cd frontend && node --test)
node_status=$?

.venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
pytest_status=$?

# PyTorch tests in a pytest process of their own, TensorFlow blocked (TF and torch in one
# process can crash it; tests/torch/conftest.py).
SATURATION_TORCH_TESTS=1 .venv/bin/python -m pytest tests/torch -q -p no:cacheprovider "$@"
torch_status=$?

if [ "$pytest_status" = 5 ] && [ "$torch_status" = 5 ]; then
    echo "test.sh: pytest collected no tests: failing" >&2
    pytest_status=1
fi
# With a filter (-k ...), one of the two runs may collect nothing: that is not a failure.
[ "$pytest_status" = 5 ] && pytest_status=0
[ "$torch_status" = 5 ] && torch_status=0

if [ "$node_status" != 0 ] || [ "$pytest_status" != 0 ] || [ "$torch_status" != 0 ]; then
    echo "test.sh: FAILED (node --test: $node_status, pytest: $pytest_status, pytest tests/torch: $torch_status)" >&2
    exit 1
fi
