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

# pytest's 5 means it ran no test. Without arguments both runs must run tests; with a
# filter (-k ...) one of the two may collect nothing, but not both.
if [ "$pytest_status" = 5 ] && [ "$torch_status" = 5 ]; then
    echo "test.sh: pytest collected no tests: failing" >&2
    pytest_status=1
elif [ "$#" = 0 ] && { [ "$pytest_status" = 5 ] || [ "$torch_status" = 5 ]; }; then
    echo "test.sh: a pytest run collected no tests (main: $pytest_status, tests/torch: $torch_status): failing" >&2
    [ "$pytest_status" = 5 ] && pytest_status=1
    [ "$torch_status" = 5 ] && torch_status=1
fi
[ "$pytest_status" = 5 ] && pytest_status=0
[ "$torch_status" = 5 ] && torch_status=0

if [ "$node_status" != 0 ] || [ "$pytest_status" != 0 ] || [ "$torch_status" != 0 ]; then
    echo "test.sh: FAILED (node --test: $node_status, pytest: $pytest_status, pytest tests/torch: $torch_status)" >&2
    exit 1
fi
