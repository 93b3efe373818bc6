/**
 * The frame every plot of the tab shares: a left gutter (row labels or value
 * ticks) of the same width everywhere, so that the step axes of all plots of
 * a run line up; a canvas with an overlay for marks; a step axis below; a
 * message in place of the plot while loading, empty or failed; and hover.
 */

import { PALETTE_CSS, PALETTE_SIZE, bucketize } from './colormap.js';
import { h, replaceChildren } from './dom.js';
import { formatTick } from './format.js';
import { drawHeatmap, prepareCanvas } from './heatmap.js';
import { spanEdges, uniformEdges } from './layout.js';
import { columnSpans, linearScale, niceTicks } from './scales.js';

/** About one step tick per this many CSS pixels. */
const STEP_TICK_SPACING_CSS = 90;

/**
 * @typedef {Object} PlotFrame
 * @property {HTMLElement} element
 * @property {HTMLElement} gutter Left column: labels or ticks.
 * @property {HTMLElement} area Holds the canvas and the overlay; its width is the plot width.
 * @property {HTMLCanvasElement} canvas
 * @property {HTMLElement} overlay Absolutely positioned marks over the canvas.
 * @property {HTMLElement} xAxis
 * @property {HTMLElement} message
 * @property {?function(number, number): ?string[]} describe Tooltip lines at a CSS point, set per draw.
 * @property {?function(number, number): void} click Click at a CSS point, set per draw.
 */

/**
 * Creates an empty plot frame.
 * @param {string} className Extra class of the frame.
 * @param {string} label Accessible name of the canvas.
 * @param {{show: function, hide: function}} tooltip
 * @returns {PlotFrame}
 */
export function createPlotFrame(className, label, tooltip) {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  const overlay = h('div', { className: 'plot-overlay' });
  const message = h('div', { className: 'plot-message', hidden: true });
  const area = h('div', { className: 'plot-area' }, [canvas, overlay, message]);
  const gutter = h('div', { className: 'plot-gutter' });
  const xAxis = h('div', { className: 'plot-x' });
  const corner = h('div', { className: 'plot-corner' }); // under the gutter, beside the step axis
  const element = h('div', { className: `plot ${className}` }, [gutter, area, corner, xAxis]);
  const frame = { element, gutter, area, canvas, overlay, xAxis, message, describe: null, click: null };

  const pointer = (event) => {
    const box = area.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  area.addEventListener('mousemove', (event) => {
    const lines = frame.describe && !canvas.hidden ? frame.describe(...pointer(event)) : null;
    if (lines) tooltip.show(lines, event.clientX, event.clientY);
    else tooltip.hide();
  });
  area.addEventListener('mouseleave', () => tooltip.hide());
  area.addEventListener('click', (event) => {
    if (frame.click && !canvas.hidden) frame.click(...pointer(event));
  });
  return frame;
}

/**
 * Shows a message instead of the plot (loading, empty, error).
 * @param {PlotFrame} frame
 * @param {string} text
 * @param {'loading'|'empty'|'error'} kind
 * @param {number} heightCss Height the message takes.
 */
export function showPlotMessage(frame, text, kind, heightCss) {
  frame.message.textContent = text;
  frame.message.className = `plot-message ${kind}`;
  frame.message.hidden = false;
  frame.canvas.hidden = true;
  frame.area.style.height = `${heightCss}px`;
  frame.describe = null;
  frame.click = null;
  replaceChildren(frame.overlay);
  replaceChildren(frame.xAxis);
  replaceChildren(frame.gutter);
}

/**
 * Shows the canvas (after a message) at a height.
 * @param {PlotFrame} frame
 * @param {number} heightCss
 */
export function showPlotCanvas(frame, heightCss) {
  frame.message.hidden = true;
  frame.canvas.hidden = false;
  frame.area.style.height = `${heightCss}px`;
}

/**
 * @typedef {Object} StepPlot A plot over the shared step axis, set up for drawing.
 * @property {CanvasRenderingContext2D} ctx Sized and cleared.
 * @property {number} widthCss
 * @property {number} heightCss
 * @property {number} pxRatio
 * @property {function(number): number} stepToCss Step -> CSS x.
 * @property {Int32Array} colEdges Device-pixel edges of the columns.
 */

/**
 * Sets up a plot whose columns cover step spans on the shared step axis: shows
 * the canvas at `heightCss`, sizes it to the frame's width, renders the step
 * axis, and places the columns [starts[i], ends[i]] (see scales.columnSpans).
 * @param {PlotFrame} frame
 * @param {number} heightCss
 * @param {{starts: number[], ends: number[]}} columns
 * @param {{domain: number[], pxRatio: number}} view
 * @returns {StepPlot}
 */
export function setUpStepPlot(frame, heightCss, { starts, ends }, { domain, pxRatio }) {
  showPlotCanvas(frame, heightCss);
  const widthCss = frame.area.clientWidth;
  const stepToCss = linearScale(domain, [0, widthCss]).map;
  const ctx = prepareCanvas(frame.canvas, widthCss, heightCss, pxRatio);
  renderStepAxis(frame, stepTickValues(domain, widthCss), stepToCss, 'step');
  const colEdges = spanEdges(columnSpans(starts, ends), stepToCss, pxRatio);
  return { ctx, widthCss, heightCss, pxRatio, stepToCss, colEdges };
}

/**
 * Paints a heatmap of equal-height rows on a step plot.
 * @param {StepPlot} plot
 * @param {ReadonlyArray<ReadonlyArray<?number>>} rows Values [row][column], null = unknown.
 * @param {{position: function(?number): ?number}} scale Colour scale.
 * @param {string} unknownColor
 * @param {ArrayLike<number>} [colEdges] Column edges to use instead of the plot's.
 * @returns {Int32Array} Device-pixel row edges.
 */
export function paintStepHeatmap(plot, rows, scale, unknownColor, colEdges = plot.colEdges) {
  const rowEdges = uniformEdges(rows.length, plot.heightCss, plot.pxRatio);
  const buckets = bucketize(rows, scale.position, PALETTE_SIZE);
  drawHeatmap(plot.ctx, { colEdges, rowEdges, buckets }, PALETTE_CSS, { unknownColor });
  return rowEdges;
}

/**
 * Round step values for an axis of `widthCss` over `domain`.
 * @param {number[]} domain [lo, hi]
 * @param {number} widthCss
 * @returns {number[]}
 */
export function stepTickValues([lo, hi], widthCss) {
  return niceTicks(lo, hi, Math.max(2, Math.floor(widthCss / STEP_TICK_SPACING_CSS)));
}

/**
 * Renders the step axis: tick marks and labels at CSS positions, and its title.
 * @param {PlotFrame} frame
 * @param {number[]} values Step values of the ticks.
 * @param {function(number): number} toCss Step -> CSS x.
 * @param {string} title
 */
export function renderStepAxis(frame, values, toCss, title) {
  const ticks = values.map((value) =>
    h('div', { className: 'tick', style: { left: `${toCss(value)}px` } }, [
      h('span', { className: 'tick-label', text: formatTick(value) }),
    ]),
  );
  replaceChildren(frame.xAxis, [...ticks, h('div', { className: 'axis-title', text: title })]);
}

/**
 * Renders value ticks in the gutter at CSS positions from the top, with a title.
 * @param {PlotFrame} frame
 * @param {{text: string, topCss: number}[]} ticks
 * @param {string} title
 */
export function renderValueAxis(frame, ticks, title) {
  const nodes = ticks.map(({ text, topCss }) =>
    h('div', { className: 'vtick', style: { top: `${topCss}px` } }, [h('span', { text })]),
  );
  replaceChildren(frame.gutter, [h('div', { className: 'axis-title', text: title }), ...nodes]);
}

/**
 * A vertical marker line over the plot (e.g. a finding's onset step), labelled beside its top.
 * @param {number} leftCss
 * @param {string} label Shown beside the line and as its tooltip.
 * @param {string} className
 * @param {number} labelTopCss Distance of the label from the top of the plot.
 * @returns {HTMLElement}
 */
export function markerLine(leftCss, label, className, labelTopCss) {
  return h('div', { className: `marker ${className}`, style: { left: `${leftCss}px` }, title: label }, [
    h('span', { className: 'marker-label', style: { top: `${labelTopCss}px` }, text: label }),
  ]);
}
