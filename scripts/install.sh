#!/usr/bin/env bash
# Installs what the demo or the tests need, into ./.venv (idempotent).
#   bash scripts/install.sh demo   # the package and scikit-learn
#   bash scripts/install.sh test   # + pytest, hypothesis, playwright, Debian's chromium, node
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-demo}"
python="${PYTHON:-python3}"

apt_install() {  # apt_install PACKAGE...: as root on Debian, once per machine
    if [ "$(id -u)" != 0 ]; then
        echo "install.sh: please install $* (e.g. sudo apt-get install -y $*)" >&2
        exit 1
    fi
    if [ ! -f /tmp/.saturation-apt-updated ]; then
        apt-get update -qq && touch /tmp/.saturation-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv 2>/dev/null || {
        rm -rf .venv
        apt_install python3-venv
        "$python" -m venv .venv
    }
fi
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" --upgrade pip setuptools wheel
if [ "$what" = test ]; then
    "${pip[@]}" -e ".[test]"
    [ -x /usr/bin/chromium ] || apt_install chromium
    command -v node >/dev/null || apt_install nodejs
else
    "${pip[@]}" -e ".[demo]"
fi
