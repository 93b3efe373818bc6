"""The statistics of `numpy_statistics.py`, computed with TF ops where the data lives.

Only the small result (a few dozen float64 numbers and one uint8 per unit)
leaves the device. Three implementations compute the same numbers; a parity
test pins each to the numpy reference on every row of its edge-case table:

* `_fused`, the CPU path: one XLA-compiled pass over the data that keeps
  every intermediate in cache. It reads each value from memory once and does,
  per value, a few vector instructions and no memory writes.
* `_plain` (`compute_plain`): the fused pass's per-value formulas as plain TF
  ops over the whole data. No XLA compilation, so its first call costs a
  tenth of the fused pass's (~0.1 s against ~1 s an activation), but every op
  writes a data-sized temporary: ~2.5x the fused pass per value. The Keras
  probe starts with it (`_probe_tf.py`).
* `_generic`, plain TF ops that mirror `numpy_statistics.py` line by line,
  reading the activation record (`activations.py`) for every formula: used for
  every activation other than sigmoid, tanh and relu, on accelerators, for
  float64 data, and whenever the data holds NaN or Inf (or, for sigmoid and
  tanh, a value outside the activation's range).

The tricks of `_fused`, all exact:

1. The bin index is arithmetic. Sigmoid and tanh have 32 equal bins with
   dyadic edges: bin = min(floor(32 * v), 31) for sigmoid, min(floor(16 * v)
   + 16, 31) for tanh. Scaling by a power of two is exact in binary floating
   point, so this is the reference's `searchsorted(edges, v, side="right")` on
   every value, edges included (tanh scales by adding to the exponent bits, so
   that negative subnormals keep their sign). ReLU bins are octaves, so the
   bin is the float's exponent field (a bitcast).
2. Counting without a scatter. SIMD hardware cannot scatter, so each value
   adds `1 << 4 * (bin % 8)` to word `bin // 8` of its unit, and every word
   takes a vector compare-and-add: 4 int32 words hold 32 4-bit counters.
   Blocks of 8 rows are summed (a counter reaches at most 8), then the nibbles
   are widened to bytes, summed over the 8 blocks of a loop step (at most 64)
   and widened to 16-bit fields, which carry up to 1023 steps before an outer
   loop adds them to the histogram.
3. Reductions over 8 rows with XLA's variadic reduce: a reduced axis of 8 is
   fully unrolled, so the code is vectorized across units, and up to four
   sums share one pass (more outputs and XLA stops vectorizing). Counts are
   exact; the phi terms are non-negative float32 sums of 8 (within 8 ulp),
   then float64; the moments are taken around each unit's first value in
   float64, where the differences of float32 values are exact, so a mean near
   0 keeps its absolute accuracy.
4. No clipping and no finiteness mask. For sigmoid and tanh the pass keeps
   the largest "range key" (the float's bits, ordered like the values): a key
   above that of 1.0 means a value out of range, NaN or Inf. Then, as when
   NaN or Inf make the moments non-finite (relu), `tf.cond` recomputes the
   whole statistics with `_generic`, inside the same graph. In range, the
   derivative comes from the moments: sum y(1 - y) = sum y - sum y^2
   (sigmoid), sum 1 - y^2 = n - sum y^2 (tanh), in float64.
5. A while loop over 64-row slices keeps the working set in cache and never
   allocates a data-sized temporary. Layers with fewer than 256 units are
   folded (rows side by side) so that vectors stay full.
6. One compilation serves every layer shape. XLA compiles per input shape
   (0.5-3 s each), so the kernel only ever sees blocks of [2048, 256] values
   (wider layers: [2048, a multiple of 256]): lanes
   left over after folding hold a padding value whose only trace, one
   histogram bin, is subtracted; a short input is padded with rows that the
   kernel's loop never reads, and the last block of a long one overlaps the
   one before it and starts at the first step not yet counted. The graphs
   around the kernel take any 2-D shape and are traced once per activation,
   eps and dtype, so a model whose layers have many shapes pays one trace,
   one graph optimization and one XLA compilation per activation.

All paths compare with zero through the sign bit (`_negative`, `_positive`):
TF's CPU kernels treat subnormal numbers as zero, numpy does not, and a
subnormal is a value like any other (it lands in tanh's bin 31, is not an
"off" relu, and is out of sigmoid's range when negative).
"""

import collections
import functools

import numpy as np
import tensorflow as tf

from tensorboard_plugin_saturation import activations as activations_lib
from tensorboard_plugin_saturation import metadata
from tensorboard_plugin_saturation import numpy_statistics

_BLOCK_ROWS = 8  # rows summed per block: a 4-bit counter reaches at most 8
_STEP_BLOCKS = 8  # blocks per loop step: a byte counter reaches at most 64
_STEP_ROWS = _BLOCK_ROWS * _STEP_BLOCKS
_MIN_LANES = 256  # narrower layers are folded to fill these lanes; wider ones padded to a multiple
_CALL_ROWS = 2048  # rows of one call of the compiled kernel: [2048, 256] is 2 MB
_NIBBLES = 0x0F0F0F0F
_BYTES_0_AND_2 = 0x00FF00FF
_FLOAT_EXPONENT_ONE = 8388608.0  # 2**23: t + 2**23 has the integer t in its low mantissa bits
_MANTISSA = 0x7FFFFF
_TIMES_16 = 4 << 23  # added to a float's bits: 4 more in the exponent field
_NEGATIVE_ZERO = -(2**31)  # the bits of -0.0 as int32


def validate(data):
    """Returns `data` as a tensor after the checks of `numpy_statistics.validate`."""
    if not tf.is_tensor(data):
        data = numpy_statistics.validate(data)  # same messages for non-tensors
        data = tf.convert_to_tensor(data)
    dtype = data.dtype
    if not (dtype.is_floating or dtype.is_integer) or dtype.is_complex or dtype == tf.bool:
        raise TypeError(
            "saturation data must be real numbers (a float or integer array); "
            "got dtype %s" % dtype.name
        )
    if data.shape.rank is None:
        raise ValueError(
            "saturation data must have a known rank >= 1 [..., units]; got an unknown shape"
        )
    numpy_statistics.check_shape(data.shape.as_list())
    return data


@tf.autograph.experimental.do_not_convert
def compute(data, act, eps, implementation="auto"):
    """Returns (layer float64 vector, units uint8 vector) for a validated tensor.

    `implementation` is "auto" (the fused CPU pass where it applies, see
    `fused_applies`), "fused", "plain" (the fused pass's formulas as plain TF
    ops, see `compute_plain`, with the same fallback) or "generic"; tests and
    benchmarks pick one.
    float64 data, and activations other than sigmoid, tanh and relu, always
    take the generic path: the fused pass is float32 and has those three.
    """
    if implementation not in ("auto", "fused", "plain", "generic"):
        raise ValueError(
            "implementation must be 'auto', 'fused', 'plain' or 'generic'; got %r" % (implementation,)
        )
    if implementation == "auto":
        implementation = "fused" if fused_applies(data) else "generic"
    elif data.dtype == tf.float64:
        implementation = "generic"  # the fused pass computes in float32
    if act.name not in _SPECS:
        implementation = "generic"  # the fused pass knows sigmoid, tanh and relu only
    units = data.shape[-1]
    return _graph(implementation, act, eps, data.dtype)(tf.reshape(data, [-1, units]))


def compute_plain(data, act, eps):
    """(layer, units, stands) for a validated tensor, with no XLA compilation.

    Where the fused pass applies (see `fused_applies`, XLA aside), its sums and
    formulas run as plain TF ops, without the fallback: `stands` is False when
    the data hold a value they do not cover (NaN, Inf, or for sigmoid and tanh
    a value outside the range), and the caller must then discard the result
    and use `compute`. Elsewhere this is `compute`'s generic result, which
    always stands. For a caller whose compilation cost matters more than the
    speed of each call: it is traced in a tenth of the time and needs no XLA
    compilation, but costs about 2.5x the fused pass per value
    (benchmarks/README.md).
    """
    units = data.shape[-1]
    data = tf.reshape(data, [-1, units])
    if not (fused_activation(act) and _float32_on_cpu(data)):
        layer, unit_shares = _graph("generic", act, eps, data.dtype)(data)
        return layer, unit_shares, tf.constant(True)
    return _plain_graph(act, eps, data.dtype)(data)


@functools.lru_cache(maxsize=None)
def _plain_graph(act, eps, dtype):
    # Not inlined either: inlined into a caller that knows the shape, graph
    # optimization would fold the value count and divide by it as a multiply
    # by its reciprocal, one ulp off the reference's shares.
    return tf.function(
        functools.partial(_plain_unchecked, act=act, eps=eps),
        input_signature=[tf.TensorSpec([None, None], dtype)], autograph=False,
        experimental_attributes={"_noinline": True},
    )


@functools.lru_cache(maxsize=None)
def _graph(implementation, act, eps, dtype):
    """One graph function per configuration and dtype for every 2-D shape: traced
    once, so that a model's layers of many shapes add one call each to the graph
    that calls them (and an eager call runs a single op)."""
    body = {"fused": _fused, "plain": _plain, "generic": _generic}[implementation]
    signature = [tf.TensorSpec([None, None], dtype)]
    return tf.function(  # not inlined: every caller shares its XLA cluster, hence one compilation
        functools.partial(body, act=act, eps=eps), input_signature=signature, autograph=False,
        experimental_attributes={"_noinline": True},
    )


def fused_applies(data):
    """True when `_fused` runs for `data`: float32 compute, XLA, a CPU placement."""
    return _xla_available() and _float32_on_cpu(data)


def _float32_on_cpu(data):
    """True when `data` is computed in float32 (not float64) on the CPU: where the
    fused pass's formulas run, compiled or as plain ops."""
    return data.dtype != tf.float64 and _runs_on_cpu(data)


def _runs_on_cpu(data):
    device = data.device or ""
    if "GPU" in device or "TPU" in device:
        return False
    if not device and (tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU")):
        return False  # unplaced: TF will put it on the accelerator
    return True


def fused_activation(act):
    """True when `act` has the fused pass (and `compute_plain`'s plain ops)."""
    return act.name in _SPECS


def xla_on_cpu():
    """True when float32 data on the CPU take the fused, XLA-compiled pass."""
    return _xla_available() and _runs_on_cpu(tf.zeros([0]))


@functools.lru_cache(maxsize=None)
def _xla_available():
    try:
        from tensorflow.compiler.tf2xla.python import xla  # noqa: F401  pylint: disable=g-import-not-at-top,unused-import
    except ImportError:
        return False
    return tf.test.is_built_with_xla()


# -- fused CPU path -----------------------------------------------------------


def _fused(data, act, eps):
    """The statistics of data [rows, units] (shapes known only when it runs)."""
    spec = _spec(act.name, eps)
    x = data
    rows, units = tf.shape(x)[0], tf.shape(x)[1]
    shift = tf.reduce_sum(tf.cast(x[:1], tf.float32), axis=0)  # the first sample (zeros if none)
    fold = _fold(units)
    step = _STEP_ROWS * fold
    body_rows = rows // step * step

    def kernel():
        lanes = tf.reshape(x[:body_rows], [-1, fold * units])
        return _blocked_sums(spec, lanes, tf.tile(shift, [fold])).unfold(fold, units)

    def rest():
        return _plain_sums(spec, tf.cast(x[body_rows:], tf.float32), shift)

    # An empty part is skipped (and its kernel never compiled).
    main = tf.cond(body_rows > 0, kernel, lambda: _Sums.zeros(spec, units))
    total = main.plus(tf.cond(rows > body_rows, rest, lambda: _Sums.zeros(spec, units)))
    return tf.cond(
        _fused_result_stands(spec, total),
        lambda: _assemble_fused(spec, total, rows, shift, units),
        lambda: _generic(data, act, eps),
    )


def _plain(data, act, eps):
    """The fused pass's sums and formulas with plain TF ops over the whole data
    (no XLA compilation); `_generic` where they do not stand."""
    layer, units, stands = _plain_unchecked(data, act, eps)
    return tf.cond(stands, lambda: (layer, units), lambda: _generic(data, act, eps))


def _plain_unchecked(data, act, eps):
    """(layer, units, stands) of data [rows, units] with `_plain_sums`; the result
    holds only where `stands` (see `_fused_result_stands`)."""
    spec = _spec(act.name, eps)
    rows, units = tf.shape(data)[0], tf.shape(data)[1]
    v = tf.cast(data, tf.float32)
    shift = tf.reduce_sum(v[:1], axis=0)  # the first sample (zeros if none)
    total = _plain_sums(spec, v, shift, _key_histogram)
    layer, unit_shares = _assemble_fused(spec, total, rows, shift, units)
    return layer, unit_shares, _fused_result_stands(spec, total)


def _blocked_sums(spec, x, shift):
    """`_Sums` per lane of x [rows, used] (rows a positive multiple of 64) through
    the compiled kernel, which only ever sees blocks of [_CALL_ROWS, lanes] (each
    call costs a launch and a loop iteration, so wide layers take as many rows
    as narrow ones).

    The lanes beyond `used` hold `spec.pad`, whose only trace in the sums is its
    histogram bin, taken out again here; a short input is padded with rows the
    kernel never reads, and the last block of a long one overlaps the block
    before it, whose steps it skips."""
    rows, used = tf.shape(x)[0], tf.shape(x)[1]
    lanes = _lanes(used)
    block = _CALL_ROWS
    x = tf.cast(x, tf.float32)
    x, shift = tf.cond(  # a pad without padding would still copy the data
        lanes > used,
        lambda: (
            tf.pad(x, [[0, 0], [0, lanes - used]], constant_values=spec.pad),
            tf.concat([shift, tf.fill([lanes - used], np.float32(spec.pad))], axis=0),
        ),
        lambda: (x, shift),
    )
    kernel = _kernel(spec.name, spec.eps)
    steps = rows // _STEP_ROWS
    block_steps = block // _STEP_ROWS

    def short():
        return kernel(tf.pad(x, [[0, block - rows], [0, 0]]), shift, tf.constant(0), steps)

    def long():
        def window(i, total):
            start = tf.minimum(i * block_steps, steps - block_steps)  # the last block ends at the end
            sums = kernel(x[start * _STEP_ROWS: start * _STEP_ROWS + block], shift, i * block_steps - start,
                          block_steps)
            return i + 1, total.plus(sums)

        windows = (steps + block_steps - 1) // block_steps
        _, total = tf.while_loop(
            lambda i, _: i < windows, window, (tf.constant(0), _Sums.zeros(spec, lanes)), parallel_iterations=1
        )
        return total

    total = tf.cond(rows < block, short, long)
    padded = rows * (lanes - used)
    return total._replace(histogram=total.histogram - tf.one_hot(spec.pad_bin, spec.bins, dtype=tf.int32) * padded)


def _fused_result_stands(spec, total):
    """False when a value was non-finite, or outside the range that the fused
    formulas assume (trick 4 above)."""
    stands = tf.reduce_all(tf.math.is_finite(total.moments))
    if spec.top_limit is not None:
        stands = tf.logical_and(stands, total.top <= spec.top_limit)
    return stands


class _Sums(collections.namedtuple("_Sums", ["histogram", "flags", "terms", "moments", "top"])):
    """What the fused pass sums: histogram int32 [bins], flags int32 [n_flags, units]
    (per-unit counts), terms float64 [n_terms] (totals), moments float64
    [2, units] (per-unit sums of d and d*d, d the value minus the unit's first
    value) and top, the largest `spec.range_key` of any value (uint32)."""

    @staticmethod
    def zeros(spec, units):
        return _Sums(
            histogram=tf.zeros([spec.bins], tf.int32),
            flags=tf.zeros([spec.n_flags, units], tf.int32),
            terms=tf.zeros([spec.n_terms], tf.float64),
            moments=tf.zeros([2, units], tf.float64),
            top=tf.zeros([], tf.uint32),
        )

    def plus(self, other):
        """The sums of both parts of the data."""
        sums = [a + b for a, b in zip(self[:-1], other[:-1])]
        return _Sums(*sums, top=tf.maximum(self.top, other.top))

    def unfold(self, fold, units):
        """Per-unit sums from the sums of `fold` rows side by side."""
        def per_unit(t):  # lanes beyond fold * units are padding
            return tf.reduce_sum(tf.reshape(t[:, : fold * units], [t.shape[0], fold, units]), axis=1)

        return self._replace(flags=per_unit(self.flags), moments=per_unit(self.moments))


def _fold(units):
    """Rows put side by side so that a narrow layer fills most of `_MIN_LANES` lanes
    (an int, or an int32 tensor for a tensor)."""
    return tf.maximum(1, _MIN_LANES // units) if tf.is_tensor(units) else max(1, _MIN_LANES // units)


def _lanes(used):
    """The kernel's lanes for `used` lanes of data (int32 tensor): a multiple of
    `_MIN_LANES`, so that every layer of up to 256 units shares one compiled kernel."""
    return (used + _MIN_LANES - 1) // _MIN_LANES * _MIN_LANES



def _assemble_fused(spec, total, rows, shift, units):
    rows64 = tf.cast(rows, tf.float64)
    n = rows64 * tf.cast(units, tf.float64)  # the fused result only stands when every value is finite
    safe_rows = tf.maximum(rows64, 1.0)
    if spec.has_high:  # sigmoid and tanh: the result only stands when every value is in range
        low, high, out_of_range = total.flags[0], total.flags[1], tf.constant(0.0, tf.float64)
    else:
        low, high = total.flags[0], tf.zeros([units], tf.int32)
        out_of_range = tf.cast(tf.reduce_sum(total.flags[1]), tf.float64)
    unit_sum, unit_sq = total.moments[0], total.moments[1]
    wide_shift = tf.cast(shift, tf.float64)
    mean, std = _combine_moments(
        tf.fill([units], rows64),
        wide_shift + unit_sum / safe_rows,
        tf.maximum(unit_sq - unit_sum * unit_sum / safe_rows, 0.0),
        n,
    )
    sum_y = tf.reduce_sum(unit_sum + rows64 * wide_shift)
    sum_y2 = tf.reduce_sum(unit_sq + 2.0 * wide_shift * unit_sum + rows64 * wide_shift * wide_shift)
    low_total = tf.cast(tf.reduce_sum(low), tf.float64)
    return _assemble(
        size=n,
        n=n,
        low=low_total,
        high=tf.cast(tf.reduce_sum(high), tf.float64),
        unit_saturated=low + high,
        unit_finite=tf.fill([units], rows),
        derivative=spec.derivative_sum(sum_y, sum_y2, n, low_total) / n,
        phi=spec.phi_sum(total.terms) / n,
        mean=mean,
        std=std,
        out_of_range=out_of_range,
        histogram=total.histogram,
    )


@functools.lru_cache(maxsize=None)
def _spec(activation, eps):
    return _SPECS[activation](eps)


@functools.lru_cache(maxsize=None)
def _kernel(activation, eps):
    """The XLA-compiled loop for one activation and eps; compiled once per block
    shape, which `_blocked_sums` keeps to one per lane count."""
    signature = [
        tf.TensorSpec([None, None], tf.float32),
        tf.TensorSpec([None], tf.float32),
        tf.TensorSpec([], tf.int32),
        tf.TensorSpec([], tf.int32),
    ]
    return tf.function(
        functools.partial(_run, _spec(activation, eps)), input_signature=signature, jit_compile=True,
        autograph=False,
    )


class _Sigmoid:
    """Per-value terms for sigmoid; `_Tanh` and `_Relu` have the same shape."""

    name = "sigmoid"
    words = 4  # 32 bins / 8 counters per word
    bins = 32
    has_high = True
    n_flags = 2
    n_terms = 1
    top_limit = 0x3F800000  # the bits of 1.0: a larger key is NaN, Inf, > 1 or negative
    pad, pad_bin = 0.5, 16  # a padding lane's value (no flag, no term, in range) and its bin
    # The plain ops' histogram key: sign, exponent and 4 mantissa bits, which cut an
    # octave into 16 steps: 1/32 wide in [1/2, 1), narrower below. The edges are
    # multiples of 1/32, so each key's values lie between two edges.
    key_shift = 19

    def __init__(self, eps):
        self.eps = eps
        self.low = np.float32(0.0 + eps)  # the reference's dtype(act.low + eps)
        self.high = np.float32(1.0 - eps)

    def bin_index(self, v):
        # Outside [0, 1] the index is meaningless: the whole result is then discarded.
        return _small_float_to_int(tf.minimum(tf.floor(v * 32.0), 31.0))

    @staticmethod
    def range_key(v):
        """A uint32 per value whose maximum tells whether every value is in range:
        the float's bits order non-negative floats, and a sign bit exceeds them all
        (-0.0 too, which only costs the generic path)."""
        return tf.bitcast(v, tf.uint32)

    def flags(self, v):
        """Counted per unit: saturated low, saturated high."""
        return [v < self.low, v > self.high]

    def terms(self, v):
        """Summed over all values: |y - 1/2|, half of phi's |y rescaled to [-1, 1]|."""
        return [tf.abs(v - 0.5)]

    @staticmethod
    def derivative_sum(sum_y, sum_y2, n, low_total):
        del n, low_total
        return sum_y - sum_y2  # sum of y (1 - y)

    @staticmethod
    def phi_sum(terms):
        return 2.0 * terms[0]


class _Tanh(_Sigmoid):
    name = "tanh"
    top_limit = 0x7F000000  # the bits of 1.0 shifted left by one (the sign bit dropped)
    pad, pad_bin = 0.0, 16
    # No key: a negative key's values run from just below one edge (-k/16) up to it,
    # and the edge itself is in the bin above.
    key_shift = None

    def __init__(self, eps):
        self.eps = eps
        self.low = np.float32(-1.0 + eps)
        self.high = np.float32(1.0 - eps)

    def bin_index(self, v):
        # 16 v as an exponent add on the bits: exact for normal values, and it turns a
        # subnormal (which TF's CPU arithmetic reads as zero) into a tiny normal value of
        # the same sign, whose floor is 0 or -1, as the reference's bins need.
        bits = tf.bitcast(v, tf.int32)
        t = tf.minimum(tf.floor(tf.bitcast(bits + _TIMES_16, tf.float32)) + 16.0, 31.0)
        t = tf.where(bits == _NEGATIVE_ZERO, 16.0, t)  # -0.0 would become -2**-123; it is 0
        return _small_float_to_int(t)

    @staticmethod
    def range_key(v):
        """|v| ordered by its bits: the sign shifted out."""
        return tf.bitwise.left_shift(tf.bitcast(v, tf.uint32), tf.constant(1, tf.uint32))

    def terms(self, v):
        return [tf.abs(v)]

    @staticmethod
    def derivative_sum(sum_y, sum_y2, n, low_total):
        del sum_y, low_total
        return n - sum_y2  # sum of 1 - y^2

    @staticmethod
    def phi_sum(terms):
        return terms[0]


class _Relu:
    name = "relu"
    words = 4  # 26 bins <= 32 counters
    bins = 26
    has_high = False
    n_flags = 2
    n_terms = 0
    top_limit = None  # every finite value has its statistics: a negative one is off
    range_key = None
    pad, pad_bin = 1.0, 14
    key_shift = 23  # sign and exponent: the bins are octaves

    def __init__(self, eps):
        self.eps = eps  # relu saturation is an exact zero: eps only names the kernel

    def bin_index(self, v):
        # v in [2**k, 2**(k+1)) has exponent field k + 127 and bin k + 14 (clamped to 1..25);
        # everything below float32's smallest normal number 2**-126 (bits 0x00800000:
        # zeros, subnormals, negatives) is bin 0.
        bits = tf.bitcast(v, tf.int32)
        octave = tf.clip_by_value(tf.bitwise.right_shift(bits, 23) - 113, 1, 25)
        return tf.where(bits >= 0x00800000, octave, 0)

    def flags(self, v):
        return [tf.logical_not(_positive(v)), _negative(v)]  # off (y <= 0), below the range

    def terms(self, v):
        del v
        return []

    @staticmethod
    def derivative_sum(sum_y, sum_y2, n, low_total):
        del sum_y, sum_y2
        return n - low_total  # f'(y) = 1[y > 0], and y <= 0 is the low count

    @staticmethod
    def phi_sum(terms):
        del terms
        return tf.constant(float("nan"), tf.float64)  # undefined for relu


_SPECS = {"sigmoid": _Sigmoid, "tanh": _Tanh, "relu": _Relu}


def _small_float_to_int(t):
    """int32 of a float32 integer in [0, 2**23) by its bits (exact, cheaper than a convert)."""
    return tf.bitwise.bitwise_and(tf.bitcast(t + _FLOAT_EXPONENT_ONE, tf.int32), _MANTISSA)


def _negative(x):
    """x < 0 by the sign bit: true for negative subnormals, false for -0.0 (finite x)."""
    unsigned, sign = (tf.uint64, 2**63) if x.dtype == tf.float64 else (tf.uint32, 2**31)
    return tf.bitcast(x, unsigned) > sign


def _positive(x):
    """x > 0 by the sign bit: true for positive subnormals (finite x)."""
    signed = tf.int64 if x.dtype == tf.float64 else tf.int32
    return tf.bitcast(x, signed) > 0


def _run(spec, x, shift, first, steps):
    """The XLA loop over steps `first` to `steps` (int32 scalars) of x [rows, lanes]
    float32 (rows a multiple of 64, a step 64 rows): `_Sums` per lane.

    Class counts are carried per lane in 16-bit fields, which hold the counts of
    `_CHUNK_STEPS` steps; an outer loop adds each chunk's fields to the histogram."""
    lanes = tf.shape(x)[1]
    blocks = tf.reshape(x, [-1, _STEP_BLOCKS, _BLOCK_ROWS, lanes])

    def chunk(start, histogram, flags, sums, top):
        end = tf.minimum(start + _CHUNK_STEPS, steps)

        def step(i, fields, flags, sums, top):
            c, f, s, t = _blocks(spec, tf.gather(blocks, i), shift)
            return i + 1, fields + c, flags + f, sums + s, tf.maximum(top, t)

        _, fields, flags, sums, top = tf.while_loop(
            lambda i, *_: i < end,
            step,
            (start, tf.zeros([4, spec.words, lanes], tf.int32), flags, sums, top),
            parallel_iterations=1,
        )
        return end, histogram + _unpack_fields(fields), flags, sums, top

    zeros = (
        tf.zeros([8 * spec.words], tf.int32),
        tf.zeros([spec.n_flags, lanes], tf.int32),
        tf.zeros([spec.n_terms + 2, lanes], tf.float64),
        tf.zeros([lanes], tf.uint32),
    )
    _, histogram, flags, sums, top = tf.while_loop(
        lambda start, *_: start < steps, chunk, (first, *zeros), parallel_iterations=1
    )
    return _Sums(
        histogram=histogram[: spec.bins],
        flags=flags,
        terms=tf.reduce_sum(sums[: spec.n_terms], axis=1),
        moments=sums[spec.n_terms:],
        top=tf.reduce_max(top),
    )


_FIELD_MAX = 0xFFFF
_CHUNK_STEPS = _FIELD_MAX // _STEP_ROWS  # a 16-bit field gains at most 64 per step


def _unpack_fields(fields):
    """Class counts int32 [8 * words] from fields int32 [4, words, lanes], whose
    two 16-bit halves hold, for word w, quarter q and half h, class 8 w + 4 h + q."""
    low = tf.reduce_sum(tf.bitwise.bitwise_and(fields, _FIELD_MAX), axis=2)
    high = tf.reduce_sum(tf.bitwise.bitwise_and(tf.bitwise.right_shift(fields, 16), _FIELD_MAX), axis=2)
    by_class = tf.transpose(tf.stack([low, high]), [2, 0, 1])  # [word, half, quarter]
    return tf.reshape(by_class, [-1])


def _bin_histogram(spec, v):
    """The histogram of v by the loop's `bin_index`."""
    return tf.math.bincount(
        tf.reshape(spec.bin_index(v), [-1]), minlength=spec.bins, maxlength=spec.bins, dtype=tf.int32
    )


def _key_histogram(spec, v):
    """The histogram of v for large data: with a `key_shift`, the float's top bits
    are the bin key, counted with no arithmetic and folded into the bins
    afterwards (`_key_bins`); else `_bin_histogram`. Counting the keys costs
    ~0.06 ms more than it saves on a few thousand values (the fused pass's
    leftover rows keep `_bin_histogram`)."""
    if spec.key_shift is None:
        return _bin_histogram(spec, v)
    keys = _key_bins(spec.name, spec.key_shift)
    key = tf.bitwise.right_shift(tf.bitcast(v, tf.uint32), tf.constant(spec.key_shift, tf.uint32))
    counts = tf.math.bincount(
        tf.reshape(tf.bitcast(key, tf.int32), [-1]), minlength=len(keys), maxlength=len(keys), dtype=tf.int32
    )
    return tf.math.unsorted_segment_sum(counts, tf.constant(keys), spec.bins)


def _plain_sums(spec, v, shift, histogram=_bin_histogram):
    """`_Sums` of v [rows, units] float32 with plain TF ops: the same per-value
    formulas as the loop, for the rows left over after its whole steps (and,
    with `histogram=_key_histogram`, for `_plain_unchecked`'s whole data). The
    per-unit moments are products with a row of ones, one BLAS pass each,
    faster than TF's reduction of a narrow matrix's columns."""
    counted = [tf.reduce_sum(tf.cast(f, tf.int32), axis=0) for f in spec.flags(v)]
    terms = [tf.reduce_sum(tf.cast(t, tf.float64)) for t in spec.terms(v)]
    d = tf.cast(v, tf.float64) - tf.cast(shift, tf.float64)
    ones = tf.ones([1, tf.shape(d)[0]], tf.float64)
    return _Sums(
        histogram=histogram(spec, v),
        flags=tf.stack(counted),
        terms=tf.stack(terms) if terms else tf.zeros([0], tf.float64),
        moments=tf.concat([tf.matmul(ones, d), tf.matmul(ones, d * d)], axis=0),
        top=tf.reduce_max(spec.range_key(v)) if spec.range_key else tf.zeros([], tf.uint32),
    )


@functools.lru_cache(maxsize=None)
def _key_bins(activation, key_shift):
    """The bin of each key (a float32's bits shifted right by `key_shift`): the
    reference's bin of the smallest value with that key, 0 for NaN. Exact for every
    value the fused formulas cover when no bin edge falls inside a key's values
    (`tests/test_tf_statistics_parity.py` checks every key)."""
    edges = np.asarray(activations_lib.get(activation).edges[1:-1], np.float32)
    keys = np.arange(2 ** (32 - key_shift), dtype=np.uint32)
    smallest = (keys << np.uint32(key_shift)).view(np.float32)
    bins = np.searchsorted(edges, np.where(np.isnan(smallest), 0, smallest), side="right")
    return bins.astype(np.int32)


def _blocks(spec, blocks, shift):
    """Per-lane sums of one step, blocks [b, 8, lanes]: class counts in 16-bit
    fields int32 [4, words, lanes] (see `_unpack_fields`), flags int32
    [n_flags, lanes], terms then moments float64 [n_terms + 2, lanes], and the
    largest range key uint32 [lanes]."""
    v = tf.cast(blocks, tf.float32)
    t = spec.bin_index(v)
    word = tf.bitwise.right_shift(t, 3)
    counter = tf.bitwise.left_shift(1, tf.bitwise.left_shift(tf.bitwise.bitwise_and(t, 7), 2))
    packed = _reduce_rows([tf.where(word == w, counter, 0) for w in range(spec.words)])
    # Per packed word [b, lanes] (nibbles <= 8): nibble 2k becomes byte k of `even`,
    # nibble 2k + 1 byte k of `odd`, summed over the b blocks (bytes <= 8 b); then
    # bytes 0 and 2 of each become the 16-bit halves of one field word, bytes 1 and 3
    # of another: quarter q of a word's 4 field words holds its nibbles q and q + 4.
    # The sums over blocks are elementwise adds, which XLA fuses into one kernel
    # (a reduce per word would each be a kernel launch of its own).
    quarters = [[], [], [], []]
    for word_blocks in packed:
        word_blocks = tf.unstack(word_blocks)
        even = tf.add_n([tf.bitwise.bitwise_and(c, _NIBBLES) for c in word_blocks])
        odd = tf.add_n([tf.bitwise.bitwise_and(tf.bitwise.right_shift(c, 4), _NIBBLES) for c in word_blocks])
        for q, (half, bits) in enumerate([(even, 0), (odd, 0), (even, 8), (odd, 8)]):
            quarters[q].append(tf.bitwise.bitwise_and(tf.bitwise.right_shift(half, bits), _BYTES_0_AND_2))
    fields = tf.stack([tf.stack(words) for words in quarters])

    # Flags as int32: integer sums run faster than float ones here.
    summed = [tf.cast(f, tf.int32) for f in spec.flags(v)] + spec.terms(v)
    if spec.range_key:
        *summed, top = _reduce_rows(summed + [spec.range_key(v)], maxima=1)
        top = tf.reduce_max(top, axis=0)
    else:
        summed, top = _reduce_rows(summed), tf.zeros([tf.shape(v)[-1]], tf.uint32)
    flags = tf.stack([tf.reduce_sum(f, axis=0) for f in summed[: spec.n_flags]])
    d = tf.cast(v, tf.float64) - tf.cast(shift, tf.float64)  # exact: float32 values in float64
    sums = [tf.reduce_sum(tf.cast(term, tf.float64), axis=0) for term in summed[spec.n_flags:]]
    sums += [tf.reduce_sum(m, axis=0) for m in _reduce_rows([d, d * d])]
    return fields, flags, tf.stack(sums), top


_REDUCERS = {}


def _reduce_rows(tensors, maxima=0):
    """Reduces each [b, rows, lanes] tensor over rows in one shared XLA reduce:
    sums, except the last `maxima` tensors, whose largest value is kept."""
    from tensorflow.compiler.tf2xla.python import xla  # pylint: disable=g-import-not-at-top

    dtypes = tuple(t.dtype for t in tensors)
    key = (dtypes, maxima)
    if key not in _REDUCERS:

        @tf.function(autograph=False)
        def combine(*pairs):
            half = len(pairs) // 2
            firsts, seconds = pairs[:half], pairs[half:]
            added = half - maxima
            return tuple(a + b for a, b in zip(firsts[:added], seconds[:added])) + tuple(
                tf.maximum(a, b) for a, b in zip(firsts[added:], seconds[added:])
            )

        _REDUCERS[key] = combine.get_concrete_function(*[tf.TensorSpec([], d) for d in dtypes * 2])
    # 0 is the identity of both: sums, and maxima of unsigned keys.
    return xla.variadic_reduce(tensors, [tf.zeros([], d) for d in dtypes], [1], _REDUCERS[key])


# -- generic path -------------------------------------------------------------


def _generic(data, act, eps):
    """The reference's computation with TF ops, driven by the activation record:
    any activation, dtype, device and value."""
    dtype = tf.float64 if data.dtype == tf.float64 else tf.float32
    np_dtype = dtype.as_numpy_dtype
    x = tf.reshape(tf.cast(data, dtype), [-1, tf.shape(data)[-1]])
    finite = tf.math.is_finite(x)
    zero = tf.zeros_like(x)
    finite_x = tf.where(finite, x, zero)
    low, high = act.saturation_masks(x, eps, np_dtype, _TF_OPS)
    low = tf.logical_and(finite, low)
    high = tf.logical_and(finite, high)
    below, above = act.range_masks(x, np_dtype, _TF_OPS)
    out_of_range = tf.logical_and(finite, tf.logical_or(below, above))

    def count(mask, axis=None):
        return tf.reduce_sum(tf.cast(mask, tf.int32), axis=axis)

    unit_finite = count(finite, 0)
    unit_saturated = count(tf.logical_or(low, high), 0)
    n = tf.cast(tf.reduce_sum(unit_finite), tf.float64)

    bins = len(act.edges) - 1
    edges = tf.constant(np.asarray(act.edges[1:-1], np_dtype)[np.newaxis, :])
    flat = tf.reshape(x, [-1])
    bucket = tf.searchsorted(edges, flat[tf.newaxis], side="right", out_type=tf.int32)[0]
    if 0.0 in act.edges[1:-1]:  # a negative subnormal compares as 0 here, but lies below that edge
        below_zero = act.edges[1:-1].index(0.0)
        bucket = tf.where(_negative(flat), tf.minimum(bucket, below_zero), bucket)
    bucket = tf.where(tf.reshape(finite, [-1]), bucket, bins)  # non-finite: a dropped extra bin
    histogram = tf.math.bincount(bucket, minlength=bins + 1, maxlength=bins + 1, dtype=tf.int32)[:bins]

    wide = _widen(finite_x)
    # Clipped by selects on the masks: no arithmetic, so subnormals keep their sign.
    low_bound, high_bound = act.bounds(np_dtype)
    clipped = tf.where(
        below, tf.constant(low_bound, tf.float64), tf.where(above, tf.constant(high_bound, tf.float64), wide)
    )
    derivative = tf.cast(act.derivative(clipped, *act.bounds(np_dtype), _TF_OPS), tf.float64)
    derivative = tf.reduce_sum(tf.where(finite, derivative, 0.0)) / n
    if act.phi is None:
        phi = tf.constant(float("nan"), tf.float64)
    else:
        phi = tf.reduce_sum(tf.where(finite, act.phi(clipped, _TF_OPS), 0.0)) / n
    mean = tf.reduce_sum(wide) / n  # two passes in float64, like np.std
    deviation = tf.where(finite, wide - mean, 0.0)
    std = tf.sqrt(tf.reduce_sum(deviation * deviation) / n)
    return _assemble(
        size=tf.cast(tf.size(x), tf.float64),
        n=n,
        low=tf.cast(count(low), tf.float64),
        high=tf.cast(count(high), tf.float64),
        unit_saturated=unit_saturated,
        unit_finite=unit_finite,
        derivative=derivative,
        phi=phi,
        mean=mean,
        std=std,
        out_of_range=tf.cast(count(out_of_range), tf.float64),
        histogram=histogram,
    )


def _widen(x):
    """x as float64, float32 subnormals included: TF's CPU cast flushes them to
    zero, and the records' formulas test the sign of y (relu's f' = 1[y > 0])."""
    if x.dtype == tf.float64:
        return x
    bits = tf.bitcast(x, tf.int32)
    magnitude = tf.bitwise.bitwise_and(bits, 0x7FFFFFFF)
    subnormal = tf.logical_and(magnitude > 0, magnitude < 0x00800000)
    value = tf.cast(magnitude, tf.float64) * 2.0**-149  # exact: a float32 subnormal is m * 2**-149
    value = tf.where(bits < 0, -value, value)
    return tf.where(subnormal, value, tf.cast(x, tf.float64))


class _TfOps:
    """`activations.NUMPY_OPS` for tensors: the records' formulas run on both."""

    abs = staticmethod(tf.abs)
    positive = staticmethod(lambda x: _positive(x))
    negative = staticmethod(lambda x: _negative(x))

    @staticmethod
    def where(condition, a, b):
        """Float64 select; the formulas' constants are Python floats, made float64
        directly (`tf.cast` of a Python float would round it to float32 first)."""
        wide = lambda v: tf.cast(v, tf.float64) if tf.is_tensor(v) else tf.constant(v, tf.float64)
        return tf.where(condition, wide(a), wide(b))

    @staticmethod
    def false_like(x):
        return tf.zeros_like(x, dtype=tf.bool)


_TF_OPS = _TfOps()


# -- shared -------------------------------------------------------------------


def _assemble(size, n, low, high, unit_saturated, unit_finite, derivative, phi, mean, std,
              out_of_range, histogram):
    """The layer vector (`metadata.STATS_FIELDS`, then the histogram) and the units vector."""
    stuck = tf.reduce_sum(
        tf.cast(tf.logical_and(unit_finite > 0, unit_saturated == unit_finite), tf.int32)
    )
    nan = tf.constant(float("nan"), tf.float64)
    empty = tf.equal(n, 0.0)

    def share(value):  # NaN without finite values, like the reference
        return tf.where(empty, nan, value / tf.maximum(n, 1.0))

    fields = {
        "count": size,
        "nonfinite": size - n,
        "saturatedLow": share(low),
        "saturatedHigh": share(high),
        "stuckUnits": tf.cast(stuck, tf.float64),
        "meanDerivative": tf.where(empty, nan, derivative),
        "phi": tf.where(empty, nan, phi),
        "mean": tf.where(empty, nan, mean),
        "std": tf.where(empty, nan, std),
        "outOfRange": share(out_of_range),
    }
    layer = tf.concat(
        [tf.stack([fields[name] for name in metadata.STATS_FIELDS]), tf.cast(histogram, tf.float64)],
        axis=0,
    )
    return layer, _quantize_units(unit_saturated, unit_finite)


def _combine_moments(unit_n, unit_mean, unit_m2, n):
    """Mean and population std from per-unit counts, means and squared deviations (Chan et al.)."""
    mean = tf.reduce_sum(unit_n * unit_mean) / tf.maximum(n, 1.0)
    spread = tf.where(unit_n > 0, unit_mean - mean, tf.zeros_like(unit_mean))
    m2 = tf.reduce_sum(unit_m2) + tf.reduce_sum(unit_n * spread * spread)
    return mean, tf.sqrt(m2 / tf.maximum(n, 1.0))


def _quantize_units(unit_saturated, unit_finite):
    saturated = tf.cast(unit_saturated, tf.float64)
    finite = tf.cast(unit_finite, tf.float64)
    share = tf.where(finite > 0, saturated / tf.maximum(finite, 1.0), tf.zeros_like(finite))
    scale = float(metadata.UNITS_SCALE)
    q = tf.round(share * scale)
    partial = tf.logical_and(share > 0, share < 1)
    q = tf.where(partial, tf.clip_by_value(q, 1.0, scale - 1.0), q)
    return tf.cast(q, tf.uint8)

