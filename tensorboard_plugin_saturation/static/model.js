/**
 * Turns route answers (see http_api.md) into what the views draw. Pure.
 */

/** Upper limit of `maxSteps` and `maxUnits` accepted by the routes. */
export const MAX_REQUEST_COLUMNS = 10000;

/** The largest possible mean derivative f'(x) of each activation (at x = 0). */
export const DERIVATIVE_CEILING = Object.freeze({ sigmoid: 0.25, tanh: 1, relu: 1 });

/** How each diagnosis cause is named in the tab. */
export const CAUSE_LABELS = Object.freeze({
  initialization: 'Initialization',
  learning_rate: 'Learning rate',
  input_scaling: 'Input scaling',
  unknown: 'Unknown cause',
});

/**
 * The label of a diagnosis cause; an unforeseen cause is shown as sent.
 * @param {string} cause
 * @returns {string}
 */
export function causeLabel(cause) {
  return Object.hasOwn(CAUSE_LABELS, cause) ? CAUSE_LABELS[cause] : String(cause);
}

/**
 * How many columns to ask a route for: one per device pixel of the plot.
 * @param {number} widthCss Plot width in CSS pixels.
 * @param {number} pxRatio
 * @returns {number} 1..MAX_REQUEST_COLUMNS
 */
export function requestedColumns(widthCss, pxRatio) {
  return Math.min(MAX_REQUEST_COLUMNS, Math.max(1, Math.round(widthCss * pxRatio)));
}

/**
 * The runs to show after the list of runs changed.
 * @param {string[]} wanted Runs the user selected (or the URL named), in their order.
 * @param {string[]} available Runs the server has.
 * @param {boolean} fallbackToFirst Select the first available run when none of `wanted` exists.
 * @returns {string[]} The wanted runs that exist, in `available` order.
 */
export function reconcileSelection(wanted, available, fallbackToFirst) {
  const wantedSet = new Set(wanted);
  const kept = available.filter((run) => wantedSet.has(run));
  if (!kept.length && fallbackToFirst && available.length) return [available[0]];
  return kept;
}

/**
 * The largest non-null value of a grid.
 * @param {ReadonlyArray<ReadonlyArray<?number>>} rows
 * @returns {number} 0 when there is none.
 */
export function maxValue(rows) {
  let max = 0;
  for (const row of rows) {
    for (const value of row) {
      if (value !== null && value > max) max = value;
    }
  }
  return max;
}

/**
 * The distribution heatmap: each step's histogram as shares of that step's
 * finite values, one row per bin, the highest bin on top.
 * @param {number[][]} histograms [step][bin] counts.
 * @returns {?number[][]} [bin row][step] shares; null where a step has no finite value.
 */
export function distributionGrid(histograms) {
  if (!histograms.length) return [];
  const bins = histograms[0].length;
  const totals = histograms.map((counts) => counts.reduce((sum, count) => sum + count, 0));
  const rows = [];
  for (let bin = bins - 1; bin >= 0; bin--) {
    rows.push(histograms.map((counts, step) => (totals[step] > 0 ? counts[bin] / totals[step] : null)));
  }
  return rows;
}

/**
 * The per-unit heatmap: one row per unit group, the most saturated first (on top).
 * @param {number[][]} values [column][group] integers 0..scale, from GET units.
 * @param {number} scale The value of a unit saturated in every sample.
 * @returns {number[][]} [group][column] shares 0..1.
 */
export function unitsGrid(values, scale) {
  if (!values.length) return [];
  const groups = values[0].length;
  const rows = [];
  for (let group = 0; group < groups; group++) rows.push(values.map((column) => column[group] / scale));
  return rows;
}

/**
 * The units of one group of the per-unit heatmap.
 * @param {number[]} order Unit index at each sorted position.
 * @param {number[]} unitStarts First sorted position of each group.
 * @param {number} group
 * @returns {{first: number, last: number, units: number[]}} Sorted positions (1-based) and unit indices.
 */
export function unitGroup(order, unitStarts, group) {
  const start = unitStarts[group];
  const end = group + 1 < unitStarts.length ? unitStarts[group + 1] : order.length;
  return { first: start + 1, last: end, units: order.slice(start, end) };
}

/**
 * The steps where NaN or infinite values were logged.
 * @param {number[]} steps
 * @param {?number[]} nonfinite Count of NaN/Inf values per step.
 * @returns {{step: number, count: number}[]}
 */
export function nonfiniteSteps(steps, nonfinite) {
  const found = [];
  steps.forEach((step, i) => {
    if (nonfinite[i] > 0) found.push({ step, count: nonfinite[i] });
  });
  return found;
}

/**
 * Stuck (relu: dead) units at the last step and at their peak.
 * @param {number[]} steps
 * @param {?number[]} stuckUnits Count per step (null = unknown).
 * @returns {?{last: number, lastStep: number, peak: number, peakStep: number}} null without data.
 */
export function stuckSummary(steps, stuckUnits) {
  let summary = null;
  steps.forEach((step, i) => {
    const count = stuckUnits[i];
    if (count === null || count === undefined) return;
    if (summary === null) summary = { last: count, lastStep: step, peak: count, peakStep: step };
    summary.last = count;
    summary.lastStep = step;
    if (count > summary.peak) {
      summary.peak = count;
      summary.peakStep = step;
    }
  });
  return summary;
}

/**
 * Where the findings of a diagnosis point on the overview.
 * @param {{cause: string, layers: string[], step: ?number}[]} findings
 * @returns {{onsets: {step: number, causes: string[]}[], layers: Map<string, string[]>}}
 *     Onset steps in increasing order with the causes starting there; each named layer with its causes.
 */
export function findingMarks(findings) {
  const onsetCauses = new Map();
  const layers = new Map();
  for (const finding of findings) {
    if (Number.isFinite(finding.step)) {
      if (!onsetCauses.has(finding.step)) onsetCauses.set(finding.step, []);
      onsetCauses.get(finding.step).push(finding.cause);
    }
    for (const layer of finding.layers || []) {
      if (!layers.has(layer)) layers.set(layer, []);
      layers.get(layer).push(finding.cause);
    }
  }
  const onsets = [...onsetCauses.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, causes]) => ({ step, causes }));
  return { onsets, layers };
}
