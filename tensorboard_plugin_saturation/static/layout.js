/**
 * Heatmap geometry in integer device pixels. Pure.
 *
 * Names with a `Css` suffix are CSS pixels; everything else is device pixels
 * (CSS pixels x pxRatio). Cells are given by their edges, so neighbours share
 * an edge exactly: no gaps and no overlaps, whatever the pxRatio.
 */

/** Height of the label column's rows (one layer per row) in the overview. */
const MIN_ROW_HEIGHT_CSS = 14;
const MAX_ROW_HEIGHT_CSS = 30;
/** A heatmap with few layers is still this tall. */
const MIN_HEATMAP_HEIGHT_CSS = 160;

/**
 * Device-pixel size of a CSS length.
 * @param {number} lengthCss
 * @param {number} pxRatio
 * @returns {number} A non-negative integer.
 */
export function deviceLength(lengthCss, pxRatio) {
  return Math.max(0, Math.round(lengthCss * pxRatio));
}

/**
 * Edges of `count` equal cells along a CSS length.
 * @param {number} count
 * @param {number} lengthCss
 * @param {number} pxRatio
 * @returns {Int32Array} count + 1 device-pixel edges, from 0 to deviceLength(lengthCss, pxRatio).
 */
export function uniformEdges(count, lengthCss, pxRatio) {
  const length = deviceLength(lengthCss, pxRatio);
  const edges = new Int32Array(count + 1);
  for (let i = 0; i <= count; i++) edges[i] = Math.round((i * length) / count);
  return edges;
}

/**
 * Device-pixel edges of cells placed at arbitrary CSS positions.
 * @param {ReadonlyArray<number>} positionsCss Increasing edge positions.
 * @param {number} pxRatio
 * @returns {Int32Array}
 */
export function edgesFromPositions(positionsCss, pxRatio) {
  return Int32Array.from(positionsCss, (p) => Math.round(p * pxRatio));
}

/**
 * Device-pixel edges of heatmap columns that cover contiguous step spans.
 * @param {{from: number[], to: number[]}} spans Column i covers [from[i], to[i]); to[i] == from[i + 1].
 * @param {function(number): number} stepToCss Step -> CSS x.
 * @param {number} pxRatio
 * @returns {Int32Array} from.length + 1 edges; none without columns.
 */
export function spanEdges({ from, to }, stepToCss, pxRatio) {
  if (!from.length) return new Int32Array(0);
  return edgesFromPositions([...from, to[to.length - 1]].map(stepToCss), pxRatio);
}

/**
 * The cell that holds a coordinate.
 * @param {ArrayLike<number>} edges Increasing edges.
 * @param {number} coordinate In the same unit as the edges.
 * @returns {number} i with edges[i] <= coordinate < edges[i + 1], or -1 outside.
 */
export function locate(edges, coordinate) {
  if (!(coordinate >= edges[0]) || !(coordinate < edges[edges.length - 1])) return -1;
  let lo = 0;
  let hi = edges.length - 1;
  while (hi - lo > 1) {
    const middle = (lo + hi) >> 1;
    if (edges[middle] <= coordinate) lo = middle;
    else hi = middle;
  }
  return lo;
}

/**
 * Row height of the overview for `rows` layers: tall rows for a small
 * network, never below a readable label.
 * @param {number} rows
 * @returns {number} CSS pixels, an integer.
 */
export function rowHeightCss(rows) {
  if (rows <= 0) return MAX_ROW_HEIGHT_CSS;
  const fill = Math.ceil(MIN_HEATMAP_HEIGHT_CSS / rows);
  return Math.min(MAX_ROW_HEIGHT_CSS, Math.max(MIN_ROW_HEIGHT_CSS, fill));
}

/**
 * Rows for labels placed left to right at `positionsCss`, so that labels in a
 * row are at least `minGapCss` apart: each label takes the first row where it fits.
 * @param {ReadonlyArray<number>} positionsCss Increasing positions.
 * @param {number} minGapCss
 * @returns {number[]} Row of each label, 0 = top.
 */
export function labelRows(positionsCss, minGapCss) {
  const rowEnds = [];
  return positionsCss.map((position) => {
    let row = rowEnds.findIndex((end) => position - end >= minGapCss);
    if (row < 0) row = rowEnds.length;
    rowEnds[row] = position;
    return row;
  });
}
