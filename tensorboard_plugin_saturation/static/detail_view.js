/**
 * One run's panel in the layer detail: the distribution heatmap (steps x
 * bins), the per-unit heatmap (steps x units, most saturated first), the mean
 * derivative as a line, the count of stuck (relu: dead) units and the steps
 * with NaN/Inf. Step axes share the overview's domain, so columns line up.
 */

import { shareScale } from './colormap.js';
import { createLegend } from './controls_view.js';
import { h, replaceChildren } from './dom.js';
import { formatCount, formatList, formatPercent, formatPercentTick, formatTick } from './format.js';
import { drawHorizontalRules, drawLine, drawVerticalMarks } from './heatmap.js';
import { deviceLength, locate } from './layout.js';
import {
  activationFacts,
  distributionGrid,
  nonfiniteSteps,
  outOfRangeSteps,
  stuckSummary,
  unitGroup,
  unitsGrid,
} from './model.js';
import { createPlotFrame, paintStepHeatmap, renderValueAxis, setUpStepPlot, showPlotMessage } from './plot_view.js';
import { edgeTickIndices, linearScale, niceTicks } from './scales.js';

/** Heights of the detail plots, CSS pixels. */
export const DISTRIBUTION_HEIGHT_CSS = 160;
export const UNITS_HEIGHT_CSS = 160;
export const DERIVATIVE_HEIGHT_CSS = 120;
const MESSAGE_HEIGHT_CSS = 48;
/** Room above and below the derivative line so that it is never cut. */
const LINE_PADDING_CSS = 6;

/**
 * @typedef {Object} DetailView
 * @property {number[]} domain [lo, hi] steps, the overview's.
 * @property {'linear'|'log'} scaleKind
 * @property {number} distributionMax Largest bin share over every run shown, for one shared scale.
 * @property {number} pxRatio
 * @property {{unknown: string, line: string, grid: string, nonfinite: string}} colors
 * @property {{activations: Object<string, Object>}} server What GET runs said about the server.
 * @property {?{group: ?string, gate: ?string, output: ?boolean}} layerInfo The layer's entry in GET runs.
 */

/** What GET runs says a layer is: a gate of a recurrent layer, a model output. */
function layerRoles(info) {
  const roles = [];
  if (info && info.gate) roles.push(`${info.gate} gate of ${info.group}`);
  if (info && info.output) roles.push('model output');
  return roles;
}

/** A statistic as the route sent it, or "no data". */
function exact(value) {
  return value === null || value === undefined ? 'no data' : String(value);
}

/** Device x of the middle of each column whose step had NaN/Inf values. */
function nonfiniteXs(layer, colEdges) {
  const marked = new Set(nonfiniteSteps(layer.shownSteps, layer.nonfinite).map(({ step }) => step));
  const xs = [];
  layer.shownSteps.forEach((step, i) => {
    if (marked.has(step)) xs.push((colEdges[i] + colEdges[i + 1]) / 2);
  });
  return xs;
}

/**
 * Tooltip lines with a step's statistics: the saturated shares at each end
 * (in the activation's words), mean and std, and phi where defined.
 */
function stepStatistics(layer, col, facts) {
  const lines = [];
  const low = layer.saturatedLow[col];
  const high = layer.saturatedHigh[col];
  if (low !== null && high !== null) {
    const ends = [];
    if (facts.lowLabel) ends.push(`${facts.lowLabel} ${formatPercent(low, 2)}`);
    if (facts.highLabel) ends.push(`${facts.highLabel} ${formatPercent(high, 2)}`);
    lines.push(`${facts.saturatedLabel} ${formatPercent(low + high, 2)}${ends.length > 1 ? ` (${ends.join(', ')})` : ''}`);
  }
  lines.push(`mean ${exact(layer.mean[col])} · std ${exact(layer.std[col])}`);
  if (layer.phi[col] !== null) lines.push(`phi ${layer.phi[col]} (0 centred, 1 saturated)`);
  return lines;
}

/** Names of the callback's signals in the derivative tooltip. */
const SIGNAL_NAMES = Object.freeze({
  inputStd: 'input std',
  inputMaxAbs: 'input max |x|',
  kernelStd: 'kernel std',
  glorotStd: 'Glorot std',
  updateRatio: 'update / weights',
  learningRate: 'learning rate',
});

/** Tooltip lines with the callback's signals at a column (none for summary-only logs). */
function signalLines(signals, col) {
  if (!signals) return [];
  const parts = [];
  for (const [name, values] of Object.entries(signals)) {
    if (values[col] !== null && values[col] !== undefined) parts.push(`${SIGNAL_NAMES[name] || name} ${values[col]}`);
  }
  return parts.length ? [parts.join(' · ')] : [];
}

function section(title, caption, frame, legend) {
  return h('section', { className: 'detail-plot' }, [
    h('h4', { text: title }),
    h('p', { className: 'caption', text: caption }),
    frame.element,
    legend ? legend.element : null,
  ]);
}

/**
 * Creates the detail panel of one run.
 * @param {string} run
 * @param {{tooltip: Object}} options
 */
export function createDetailPanel(run, { tooltip }) {
  const meta = h('span', { className: 'panel-meta' });
  const stats = h('ul', { className: 'detail-stats' });
  const distribution = createPlotFrame(
    'distribution-plot',
    `Distribution of activations over steps, run ${run}`,
    tooltip,
  );
  const units = createPlotFrame('units-plot', `Saturation of each unit over steps, run ${run}`, tooltip);
  const derivative = createPlotFrame('derivative-plot', `Mean derivative over steps, run ${run}`, tooltip);
  const distributionLegend = createLegend('detail-legend');
  const unitsLegend = createLegend('detail-legend');
  const unitsCaption = h('p', { className: 'caption' });
  const distributionSection = section(
    'Distribution of activations',
    'Each column is one step’s histogram as shares of its finite values; bin edges on the vertical axis.',
    distribution,
    distributionLegend,
  );
  const unitsSection = h('section', { className: 'detail-plot' }, [
    h('h4', { text: 'Saturation per unit' }),
    unitsCaption,
    units.element,
    unitsLegend.element,
  ]);
  const derivativeSection = section(
    'Mean derivative f′(x)',
    'How much of the gradient the layer lets through; near 0 the layer has stopped learning. Red: steps with NaN/Inf.',
    derivative,
    null,
  );
  const body = h('div', { className: 'detail-body' }, [stats, distributionSection, unitsSection, derivativeSection]);
  const message = h('p', { className: 'panel-message', hidden: true });
  const header = h('h3', { className: 'panel-title' }, [h('span', { className: 'panel-run', text: run }), meta]);
  const description = h('p', { className: 'layer-description', hidden: true });
  const element = h('article', { className: 'detail-panel', 'data-run': run }, [header, description, message, body]);

  function drawDistribution(layer, view) {
    const facts = activationFacts(view.server, layer.activation);
    const grid = distributionGrid(layer.histograms);
    const bins = layer.edges.length - 1;
    const columns = { starts: layer.steps, ends: layer.stepEnds };
    const plot = setUpStepPlot(distribution, DISTRIBUTION_HEIGHT_CSS, columns, view);
    const { colEdges, pxRatio } = plot;
    const scale = shareScale(view.scaleKind, view.distributionMax);
    const rowEdges = paintStepHeatmap(plot, grid, scale, view.colors.unknown);
    drawVerticalMarks(plot.ctx, nonfiniteXs(layer, colEdges), 0, rowEdges[bins], {
      color: view.colors.nonfinite,
      lineWidth: Math.max(1, Math.round(pxRatio)),
    });
    const binHeightCss = DISTRIBUTION_HEIGHT_CSS / bins;
    renderValueAxis(
      distribution,
      edgeTickIndices(layer.edges.length, 5).map((i) => ({
        text: formatTick(layer.edges[i]),
        topCss: DISTRIBUTION_HEIGHT_CSS - i * binHeightCss,
      })),
      `${layer.activation} output`,
    );
    distributionLegend.update(scale, 'Share of the step’s values', formatPercentTick);
    distribution.describe = (xCss, yCss) => {
      const col = locate(colEdges, xCss * pxRatio);
      const row = locate(rowEdges, yCss * pxRatio);
      if (col < 0 || row < 0) return null;
      const bin = bins - 1 - row;
      const counts = layer.histograms[col];
      const total = counts.reduce((sum, count) => sum + count, 0);
      const share = grid[row][col];
      return [
        run,
        `${layer.tag} · step ${layer.shownSteps[col]}`,
        `bin [${formatTick(layer.edges[bin])}, ${formatTick(layer.edges[bin + 1])})`,
        share === null
          ? 'no finite values at this step'
          : `${formatPercent(share, 2)} of finite values (${counts[bin]} of ${total})`,
        ...stepStatistics(layer, col, facts),
      ];
    };
  }

  function drawUnits(layer, unitsData, view) {
    if (!unitsData) {
      unitsCaption.textContent = '';
      unitsLegend.element.hidden = true;
      showPlotMessage(units, 'No per-unit data was logged for this layer.', 'empty', MESSAGE_HEIGHT_CSS);
      return;
    }
    if (unitsData.error) {
      unitsCaption.textContent = '';
      unitsLegend.element.hidden = true;
      showPlotMessage(units, `Could not load the per-unit data: ${unitsData.error}`, 'error', MESSAGE_HEIGHT_CSS);
      return;
    }
    const { stuckLabel } = activationFacts(view.server, layer.activation);
    const groups = unitsData.unitStarts.length;
    const grouped = groups < unitsData.units;
    unitsCaption.textContent =
      'Units sorted most saturated first (by their mean share over all steps), so stuck units gather at the top; ' +
      `a row that stays bright is a unit saturated in every sample (${stuckLabel}).` +
      (grouped ? ` ${unitsData.units} units in ${groups} rows, each showing its most saturated unit.` : '');
    if (!unitsData.steps.length) {
      unitsLegend.element.hidden = true;
      showPlotMessage(units, 'No per-unit data logged yet.', 'empty', MESSAGE_HEIGHT_CSS);
      return;
    }
    unitsLegend.element.hidden = false;
    const grid = unitsGrid(unitsData.values, unitsData.scale);
    const columns = { starts: unitsData.steps, ends: unitsData.stepEnds };
    const plot = setUpStepPlot(units, UNITS_HEIGHT_CSS, columns, view);
    const { colEdges, pxRatio } = plot;
    const scale = shareScale(view.scaleKind, 1);
    const rowEdges = paintStepHeatmap(plot, grid, scale, view.colors.unknown);
    renderValueAxis(
      units,
      [
        { text: '#1', topCss: 0 },
        { text: `#${unitsData.units}`, topCss: UNITS_HEIGHT_CSS },
      ],
      'unit rank',
    );
    unitsLegend.update(scale, 'Share of samples saturated', formatPercentTick);
    units.describe = (xCss, yCss) => {
      const col = locate(colEdges, xCss * pxRatio);
      const row = locate(rowEdges, yCss * pxRatio);
      if (col < 0 || row < 0) return null;
      const group = unitGroup(unitsData.order, unitsData.unitStarts, row);
      const ranks = group.first === group.last ? `rank ${group.first}` : `ranks ${group.first}–${group.last}`;
      return [
        run,
        `${layer.tag} · step ${unitsData.steps[col]}`,
        `${ranks}: unit ${formatList(group.units.map(String), 4)}`,
        `saturated in ${formatPercent(grid[row][col], 1)} of samples` +
          (group.units.length > 1 ? ' (most saturated of the row)' : ''),
      ];
    };
  }

  function drawDerivative(layer, view) {
    const columns = { starts: layer.steps, ends: layer.stepEnds };
    const plot = setUpStepPlot(derivative, DERIVATIVE_HEIGHT_CSS, columns, view);
    const { ctx, colEdges, pxRatio } = plot;
    // The activation's largest derivative, drawn as a dashed line (unknown for an activation the server did not describe).
    const ceiling = activationFacts(view.server, layer.activation).maxDerivative;
    const known = layer.meanDerivative.filter((v) => v !== null);
    const top = Math.max(ceiling ?? 0, ...known) || 1;
    const valueToYCss = linearScale([0, top], [DERIVATIVE_HEIGHT_CSS - LINE_PADDING_CSS, LINE_PADDING_CSS]);
    const width = deviceLength(plot.widthCss, pxRatio);
    const height = deviceLength(DERIVATIVE_HEIGHT_CSS, pxRatio);
    const lineWidth = Math.max(1, Math.round(pxRatio));
    const ticks = niceTicks(0, top, 4);
    const gridYs = ticks.map((v) => valueToYCss.map(v) * pxRatio);
    drawHorizontalRules(ctx, gridYs, 0, width, { color: view.colors.grid, lineWidth, dash: [] });
    drawVerticalMarks(ctx, nonfiniteXs(layer, colEdges), 0, height, { color: view.colors.nonfinite, lineWidth });
    if (ceiling !== null) {
      drawHorizontalRules(ctx, [valueToYCss.map(ceiling) * pxRatio], 0, width, {
        color: view.colors.line,
        lineWidth,
        dash: [4 * lineWidth, 4 * lineWidth],
      });
    }
    const centres = layer.steps.map((_, i) => (colEdges[i] + colEdges[i + 1]) / 2);
    const ys = layer.meanDerivative.map((v) => (v === null ? null : valueToYCss.map(v) * pxRatio));
    drawLine(ctx, centres, ys, { color: view.colors.line, lineWidth: 2 * lineWidth });
    renderValueAxis(
      derivative,
      ticks.map((v) => ({ text: formatTick(v), topCss: valueToYCss.map(v) })),
      'mean f′(x)',
    );
    replaceChildren(derivative.overlay, [
      ceiling === null
        ? null
        : h('div', {
            className: 'ceiling-label',
            style: { top: `${valueToYCss.map(ceiling)}px` },
            text: `largest possible: ${ceiling}`,
          }),
    ]);
    derivative.describe = (xCss) => {
      const col = locate(colEdges, xCss * pxRatio);
      if (col < 0) return null;
      const value = layer.meanDerivative[col];
      const lines = [run, `${layer.tag} · step ${layer.shownSteps[col]}`, `mean f′(x) ${value ?? 'no data'}`];
      if (layer.nonfinite[col] > 0) lines.push(formatCount(layer.nonfinite[col], 'NaN/Inf value'));
      return [...lines, ...signalLines(layer.signals, col)];
    };
  }

  function renderStats(layer, facts) {
    const items = [];
    const stuck = stuckSummary(layer.shownSteps, layer.stuckUnits);
    if (stuck) {
      const kind = facts.stuckLabel.charAt(0).toUpperCase() + facts.stuckLabel.slice(1);
      const every = facts.saturatedLabel === facts.stuckLabel ? 'in every sample' : `${facts.saturatedLabel} in every sample`;
      let text = `${kind} units (${every}): ${stuck.last} of ${layer.units} at step ${stuck.lastStep}`;
      if (stuck.peak > stuck.last) text += `, at most ${stuck.peak} (step ${stuck.peakStep})`;
      items.push(h('li', { className: stuck.last > 0 ? 'stat warn' : 'stat', 'data-stat': 'stuck', text }));
    }
    const bad = nonfiniteSteps(layer.shownSteps, layer.nonfinite);
    items.push(
      h('li', {
        className: bad.length ? 'stat bad' : 'stat',
        'data-stat': 'nonfinite',
        text: bad.length
          ? `NaN/Inf values at ${formatCount(bad.length, 'step')}: ` +
            `${formatList(bad.map(({ step }) => String(step)), 6)} (red marks)`
          : 'No NaN or Inf values.',
      }),
    );
    const outside = outOfRangeSteps(layer.shownSteps, layer.outOfRange);
    if (outside.length) {
      items.push(
        h('li', {
          className: 'stat bad',
          'data-stat': 'out-of-range',
          text:
            `Values outside the ${layer.activation} range at ${formatCount(outside.length, 'step')} ` +
            `(up to ${formatPercent(Math.max(...outside.map(({ share }) => share)), 1)} of a step's values): ` +
            `${formatList(outside.map(({ step }) => String(step)), 6)}. Were pre-activations logged?`,
        }),
      );
    }
    if (layer.totalSteps > layer.steps.length) {
      items.push(
        h('li', {
          className: 'stat',
          text:
            `${layer.totalSteps} steps logged; ` +
            `each of the ${layer.steps.length} columns shows its most saturated step.`,
        }),
      );
    }
    replaceChildren(stats, items);
  }

  let drawnTag = null;

  function showMessage(text, kind) {
    drawnTag = null;
    message.textContent = text;
    message.className = `panel-message ${kind}`;
    message.hidden = false;
    body.hidden = true;
    meta.textContent = '';
    description.hidden = true;
  }

  return {
    element,
    run,
    /** @returns {?string} The tag of the layer drawn, null while a message is shown. */
    drawnTag: () => drawnTag,
    /**
     * Shows a message instead of the plots.
     * @param {string} text
     * @param {'loading'|'empty'|'error'} kind
     */
    showMessage,
    /**
     * Draws GET layer and GET units of the layer.
     * @param {Object} layer GET layer's answer.
     * @param {?Object} unitsData GET units's answer, {error} when it failed, null when not logged.
     * @param {DetailView} view
     */
    draw(layer, unitsData, view) {
      message.hidden = true;
      body.hidden = false;
      const units = formatCount(layer.units, 'unit');
      const facts = activationFacts(view.server, layer.activation);
      const roles = layerRoles(view.layerInfo);
      meta.textContent = `${layer.tag} · ${[...roles, layer.activation, units].join(' · ')} · eps ${layer.eps}`;
      meta.title = facts.description || '';
      description.textContent = layer.description;
      description.hidden = !layer.description;
      if (!layer.steps.length) {
        showMessage('No steps logged yet for this layer.', 'empty');
        return;
      }
      renderStats(layer, facts);
      drawDistribution(layer, view);
      drawUnits(layer, unitsData, view);
      drawDerivative(layer, view);
      drawnTag = layer.tag;
    },
  };
}
