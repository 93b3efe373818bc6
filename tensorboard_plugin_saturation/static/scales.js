/**
 * Axes: linear position scales, nice tick values and the step span of each
 * heatmap column. Pure.
 */

/**
 * @typedef {Object} LinearScale
 * @property {function(number): number} map Domain value -> range value.
 * @property {function(number): number} invert Range value -> domain value.
 */

/**
 * A linear map from [d0, d1] to [r0, r1], not clamped.
 * A degenerate domain (d0 == d1) maps every value to the middle of the range.
 * @param {number[]} domain [d0, d1]
 * @param {number[]} range [r0, r1]
 * @returns {LinearScale}
 */
export function linearScale([d0, d1], [r0, r1]) {
  if (d1 === d0) {
    const middle = (r0 + r1) / 2;
    return { map: () => middle, invert: () => d0 };
  }
  const slope = (r1 - r0) / (d1 - d0);
  return {
    map: (value) => r0 + (value - d0) * slope,
    invert: (position) => d0 + (position - r0) / slope,
  };
}

/**
 * The tick spacing for about `count` ticks over `span`: 1, 2 or 5 times a power of ten.
 * @param {number} span Positive length of the interval.
 * @param {number} count Wanted number of intervals, at least 1.
 * @returns {number}
 */
export function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const error = raw / power;
  // Thresholds at the geometric means of 1-2, 2-5 and 5-10, as d3-array's ticks.
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  return factor * power;
}

/**
 * Round tick values inside [lo, hi], about `count` intervals apart.
 * @param {number} lo
 * @param {number} hi
 * @param {number} count
 * @returns {number[]} Increasing values; [lo] when lo == hi; [] when the input is not finite or hi < lo.
 */
export function niceTicks(lo, hi, count) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return [];
  if (hi === lo) return [lo];
  const step = niceStep(hi - lo, count);
  // Integer multiples, divided when the step is below 1, keep values exact (0.3, not 0.30000000000000004).
  const inverse = step < 1 ? Math.round(1 / step) : 0;
  const first = inverse ? Math.ceil(lo * inverse) : Math.ceil(lo / step);
  const last = inverse ? Math.floor(hi * inverse) : Math.floor(hi / step);
  const ticks = [];
  for (let i = first; i <= last; i++) ticks.push(inverse ? i / inverse : i * step);
  return ticks;
}

/**
 * Powers of ten inside [lo, hi], for a logarithmic axis.
 * @param {number} lo Positive.
 * @param {number} hi
 * @returns {number[]}
 */
export function powerOfTenTicks(lo, hi) {
  const ticks = [];
  if (!(lo > 0) || !(hi >= lo)) return ticks;
  for (let exponent = Math.ceil(Math.log10(lo) - 1e-9); 10 ** exponent <= hi * (1 + 1e-9); exponent++) {
    ticks.push(exponent < 0 ? 1 / 10 ** -exponent : 10 ** exponent);
  }
  return ticks;
}

/**
 * Tick values and their positions along a colour scale's legend.
 * @param {{kind: string, lo: number, hi: number, position: function(number): ?number}} scale
 * @param {number} count About how many intervals (linear scales).
 * @returns {{value: number, position: number}[]}
 */
export function legendTicks(scale, count) {
  const values = scale.kind === 'log' ? powerOfTenTicks(scale.lo, scale.hi) : niceTicks(scale.lo, scale.hi, count);
  return values.map((value) => ({ value, position: scale.position(value) }));
}

/**
 * The step interval [from, to) each heatmap column covers.
 *
 * Column i starts at starts[i] and reaches the next column's start. The last
 * column ends one logging interval after its last step: the gap between the
 * previous column's last step and the last column's first step (1 when there
 * is a single column).
 * @param {number[]} starts First step of each column, increasing.
 * @param {number[]} [ends] Last step of each column (default: the starts).
 * @returns {{from: number[], to: number[]}}
 */
export function columnSpans(starts, ends = starts) {
  const n = starts.length;
  const from = starts.slice();
  const to = starts.slice(1);
  if (n > 0) {
    const interval = n > 1 ? Math.max(1, starts[n - 1] - ends[n - 2]) : 1;
    to.push(ends[n - 1] + interval);
  }
  return { from, to };
}

/**
 * The step domain [lo, hi] that holds every given set of column spans.
 * @param {{from: number[], to: number[]}[]} spansList
 * @returns {number[]} [lo, hi]; [0, 1] when there are no columns at all.
 */
export function stepDomain(spansList) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { from, to } of spansList) {
    if (!from.length) continue;
    lo = Math.min(lo, from[0]);
    hi = Math.max(hi, to[to.length - 1]);
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/**
 * Every `stride`-th index of `count` edges, always including the last, so that
 * at most `maxTicks` labels are shown (a histogram's bin edges on its axis).
 * @param {number} count Number of edges.
 * @param {number} maxTicks At least 2.
 * @returns {number[]} Edge indices, increasing.
 */
export function edgeTickIndices(count, maxTicks) {
  if (count <= 0) return [];
  if (count === 1) return [0];
  const stride = Math.ceil((count - 1) / (Math.max(2, maxTicks) - 1));
  const indices = [];
  for (let i = 0; i < count - 1; i += stride) indices.push(i);
  if (count - 1 - indices[indices.length - 1] < stride / 2 && indices.length > 1) indices.pop();
  indices.push(count - 1);
  return indices;
}
