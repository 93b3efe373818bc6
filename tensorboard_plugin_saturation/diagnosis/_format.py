"""How the diagnosis writes numbers in evidence and remedy text."""

import math


def pct(share):
    """A share as a percentage: "69%", "<1%", ">99%"."""
    if not math.isfinite(share):
        return "n/a"
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return "%d%%" % int(math.floor(share * 100 + 0.5))


def num(value):
    """A number with 3 significant digits: 0.0625, 16, 1.2e-05."""
    if not math.isfinite(value):
        return "n/a"
    return "%.3g" % value
