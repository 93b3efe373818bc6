"""Debian's Chromium, as the browser tests and benchmarks launch it (never a downloaded browser)."""

CHROMIUM = "/usr/bin/chromium"

# Headless as root, and quiet on a machine without internet: without the
# background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
