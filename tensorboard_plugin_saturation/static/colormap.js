/**
 * Colour scales of the heatmaps: value -> [0, 1] -> palette bucket. Pure.
 *
 * The palette is viridis (perceptually uniform, readable by colour-blind
 * viewers, dark-to-light so it also prints in grey), stored as ten anchors
 * and interpolated to PALETTE_SIZE buckets. A value that is null or NaN has no
 * position and is drawn in the neutral "unknown" colour of the theme.
 */

/** Viridis at ten evenly spaced points, as 0-255 RGB triplets. */
export const PALETTE_ANCHORS = Object.freeze([
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
]);

/** Number of colour buckets; the heatmap does one fill per bucket. */
export const PALETTE_SIZE = 128;

/** Smallest share a log scale tells apart from zero (0.1%). */
export const LOG_FLOOR = 0.001;

/**
 * Evenly spaced colours along the piecewise-linear path through `anchors`.
 * @param {ReadonlyArray<ReadonlyArray<number>>} anchors RGB triplets, at least two.
 * @param {number} count Number of colours, at least two.
 * @returns {number[][]} `count` RGB triplets of integers in 0..255.
 */
export function interpolateAnchors(anchors, count) {
  if (anchors.length < 2 || count < 2) {
    throw new RangeError(
      `need at least two anchors and two colours; got ${anchors.length} anchors, ${count} colours`,
    );
  }
  const segments = anchors.length - 1;
  const colors = [];
  for (let i = 0; i < count; i++) {
    const position = (i / (count - 1)) * segments;
    const segment = Math.min(Math.floor(position), segments - 1);
    const fraction = position - segment;
    const from = anchors[segment];
    const to = anchors[segment + 1];
    colors.push(from.map((channel, c) => Math.round(channel + (to[c] - channel) * fraction)));
  }
  return colors;
}

/** The palette as RGB triplets, darkest (low values) first. */
export const PALETTE = Object.freeze(
  interpolateAnchors(PALETTE_ANCHORS, PALETTE_SIZE).map((rgb) => Object.freeze(rgb)),
);

/**
 * A CSS colour string for an RGB triplet.
 * @param {ReadonlyArray<number>} rgb
 * @returns {string} e.g. "rgb(68, 1, 84)".
 */
export function rgbCss(rgb) {
  return `rgb(${rgb[0]}, ${rgb[1]}, ${rgb[2]})`;
}

/** The palette as CSS colour strings, one per bucket. */
export const PALETTE_CSS = Object.freeze(PALETTE.map(rgbCss));

function isUnknown(value) {
  return value === null || value === undefined || Number.isNaN(value);
}

function clampUnit(t) {
  return Math.min(1, Math.max(0, t));
}

/**
 * Position of `value` in the linear range [lo, hi], clamped to [0, 1].
 * @param {?number} value
 * @param {number} lo
 * @param {number} hi
 * @returns {?number} null for null/NaN; 0.5 when the range is degenerate (hi <= lo).
 */
export function normalize(value, lo, hi) {
  if (isUnknown(value)) return null;
  if (!(hi > lo)) return 0.5;
  return clampUnit((value - lo) / (hi - lo));
}

/**
 * Position of `value` in the logarithmic range [lo, hi] (lo > 0), clamped to [0, 1].
 * Values at or below `lo`, zero included, map to 0.
 * @param {?number} value
 * @param {number} lo
 * @param {number} hi
 * @returns {?number} null for null/NaN; 0.5 when the range is degenerate (hi <= lo).
 */
export function normalizeLog(value, lo, hi) {
  if (isUnknown(value)) return null;
  if (!(hi > lo)) return 0.5;
  if (value <= lo) return 0;
  return clampUnit(Math.log(value / lo) / Math.log(hi / lo));
}

/**
 * The palette bucket of a position.
 * @param {?number} t Position in [0, 1] (clamped), or null.
 * @param {number} size Palette size.
 * @returns {number} 0..size-1, or -1 for null (the unknown colour).
 */
export function paletteIndex(t, size) {
  if (isUnknown(t)) return -1;
  return Math.min(size - 1, Math.max(0, Math.floor(t * size)));
}

/**
 * @typedef {Object} ColorScale
 * @property {'linear'|'log'} kind
 * @property {number} lo Lower end of the domain (0 for linear, LOG_FLOOR for log).
 * @property {number} hi Upper end of the domain.
 * @property {function(?number): ?number} position Value -> [0, 1] or null.
 */

/**
 * A colour scale for non-negative shares from 0 (or LOG_FLOOR on a log scale) to `hi`.
 * @param {'linear'|'log'} kind
 * @param {number} hi Largest value to tell apart; 1 for shares of a whole.
 * @returns {ColorScale}
 */
export function shareScale(kind, hi) {
  if (kind === 'log') {
    const top = Math.max(hi, LOG_FLOOR);
    return { kind, lo: LOG_FLOOR, hi: top, position: (v) => normalizeLog(v, LOG_FLOOR, top) };
  }
  if (kind === 'linear') {
    return { kind, lo: 0, hi, position: (v) => normalize(v, 0, hi) };
  }
  throw new RangeError(`colour scale kind must be 'linear' or 'log'; got ${JSON.stringify(kind)}`);
}

/**
 * Palette buckets of a row-major grid of values.
 * @param {ReadonlyArray<ReadonlyArray<?number>>} rows Values [row][column]; null = unknown.
 * @param {function(?number): ?number} position Value -> [0, 1] or null.
 * @param {number} size Palette size.
 * @returns {Int16Array} rows x columns buckets, -1 = unknown.
 */
export function bucketize(rows, position, size) {
  const columns = rows.length ? rows[0].length : 0;
  const buckets = new Int16Array(rows.length * columns);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let c = 0; c < columns; c++) {
      buckets[r * columns + c] = paletteIndex(position(row[c]), size);
    }
  }
  return buckets;
}
