/**
 * The only module that draws on a canvas: heatmap cells, and the line, rules
 * and marks drawn over a plot's axes.
 *
 * All coordinates are integer device pixels (see layout.js). The canvas's
 * backing store is round(cssSize * pxRatio) while its style stays in CSS
 * pixels, so the picture is crisp at any devicePixelRatio. Cells are batched
 * into one Path2D per palette bucket and filled with one fillStyle each (the
 * uPlot heatmap recipe), which paints 50 layers x 1000 steps in milliseconds.
 */

import { deviceLength } from './layout.js';

/**
 * Sizes a canvas for a CSS box and returns its cleared 2D context.
 * @param {HTMLCanvasElement} canvas
 * @param {number} cssWidth
 * @param {number} cssHeight
 * @param {number} pxRatio
 * @returns {CanvasRenderingContext2D}
 */
export function prepareCanvas(canvas, cssWidth, cssHeight, pxRatio) {
  canvas.width = deviceLength(cssWidth, pxRatio);
  canvas.height = deviceLength(cssHeight, pxRatio);
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  return ctx;
}

/**
 * @typedef {Object} HeatmapGrid
 * @property {ArrayLike<number>} colEdges cols + 1 increasing device-pixel edges.
 * @property {ArrayLike<number>} rowEdges rows + 1 increasing device-pixel edges.
 * @property {ArrayLike<number>} buckets rows x cols palette buckets, row-major; -1 = unknown.
 */

/**
 * Paints a heatmap: neighbouring cells of one bucket in a row become one
 * rectangle, each bucket one path and one fill, clipped to the grid.
 * @param {CanvasRenderingContext2D} ctx
 * @param {HeatmapGrid} grid
 * @param {ReadonlyArray<string>} colors CSS colour of each bucket.
 * @param {{unknownColor: ?string, createPath: function(): Path2D}} [options]
 *     unknownColor: fill of unknown cells (null leaves them blank);
 *     createPath: Path2D factory (tests pass a recorder).
 */
export function drawHeatmap(ctx, { colEdges, rowEdges, buckets }, colors, options = {}) {
  const { unknownColor = null, createPath = () => new Path2D() } = options;
  const cols = colEdges.length - 1;
  const rows = rowEdges.length - 1;
  if (cols <= 0 || rows <= 0) return;
  const paths = new Map();
  for (let row = 0; row < rows; row++) {
    const y = rowEdges[row];
    const height = rowEdges[row + 1] - y;
    if (height <= 0) continue;
    const offset = row * cols;
    let col = 0;
    while (col < cols) {
      const bucket = buckets[offset + col];
      let end = col + 1;
      while (end < cols && buckets[offset + end] === bucket) end++;
      const x = colEdges[col];
      const width = colEdges[end] - x;
      if (width > 0 && (bucket >= 0 || unknownColor)) {
        let path = paths.get(bucket);
        if (!path) {
          path = createPath();
          paths.set(bucket, path);
        }
        path.rect(x, y, width, height);
      }
      col = end;
    }
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(colEdges[0], rowEdges[0], colEdges[cols] - colEdges[0], rowEdges[rows] - rowEdges[0]);
  ctx.clip();
  for (const bucket of [...paths.keys()].sort((a, b) => a - b)) {
    ctx.fillStyle = bucket < 0 ? unknownColor : colors[bucket];
    ctx.fill(paths.get(bucket));
  }
  ctx.restore();
}

/** Centre of a line of `lineWidth` device pixels at `position`, so that it covers whole pixels. */
function crisp(position, lineWidth) {
  return Math.round(position) + (lineWidth % 2 ? 0.5 : 0);
}

/**
 * Draws a polyline; a null y breaks it, and a point alone between breaks is drawn as a dot.
 * @param {CanvasRenderingContext2D} ctx
 * @param {ArrayLike<number>} xs Device pixels.
 * @param {ArrayLike<?number>} ys Device pixels, null = no value.
 * @param {{color: string, lineWidth: number}} style lineWidth in device pixels.
 */
export function drawLine(ctx, xs, ys, { color, lineWidth }) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = lineWidth;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  const dots = [];
  let runLength = 0;
  for (let i = 0; i <= xs.length; i++) {
    const y = i < xs.length ? ys[i] : null;
    if (y === null || y === undefined || Number.isNaN(y)) {
      if (runLength === 1) dots.push(i - 1);
      runLength = 0;
      continue;
    }
    if (runLength === 0) ctx.moveTo(xs[i], y);
    else ctx.lineTo(xs[i], y);
    runLength++;
  }
  ctx.stroke();
  for (const i of dots) ctx.fillRect(xs[i] - lineWidth, ys[i] - lineWidth, 2 * lineWidth, 2 * lineWidth);
  ctx.restore();
}

/**
 * Draws full-height vertical marks (e.g. steps with NaN/Inf).
 * @param {CanvasRenderingContext2D} ctx
 * @param {ArrayLike<number>} xs Device pixels.
 * @param {number} top
 * @param {number} bottom
 * @param {{color: string, lineWidth: number}} style
 */
export function drawVerticalMarks(ctx, xs, top, bottom, { color, lineWidth }) {
  if (!xs.length) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = lineWidth;
  ctx.beginPath();
  for (const x of xs) {
    ctx.moveTo(crisp(x, lineWidth), top);
    ctx.lineTo(crisp(x, lineWidth), bottom);
  }
  ctx.stroke();
  ctx.restore();
}

/**
 * Draws horizontal rules (grid lines, reference values).
 * @param {CanvasRenderingContext2D} ctx
 * @param {ArrayLike<number>} ys Device pixels.
 * @param {number} left
 * @param {number} right
 * @param {{color: string, lineWidth: number, dash: number[]}} style dash in device pixels ([] = solid).
 */
export function drawHorizontalRules(ctx, ys, left, right, { color, lineWidth, dash }) {
  if (!ys.length) return;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = lineWidth;
  ctx.setLineDash(dash);
  ctx.beginPath();
  for (const y of ys) {
    ctx.moveTo(left, crisp(y, lineWidth));
    ctx.lineTo(right, crisp(y, lineWidth));
  }
  ctx.stroke();
  ctx.restore();
}
