/**
 * Turns route answers (see http_api.md) into what the views draw. Pure.
 */

/**
 * The label of a diagnosis cause, as the server names it (GET runs'
 * `causeLabels`); a cause it does not name is shown as sent.
 * @param {string} cause
 * @param {Object<string, string>} labels
 * @returns {string}
 */
export function causeLabel(cause, labels) {
  return Object.hasOwn(labels, cause) ? labels[cause] : String(cause);
}

/** How the tab speaks of an activation the server did not describe. */
const UNDESCRIBED_ACTIVATION = Object.freeze({
  maxDerivative: null,
  saturatedLabel: 'saturated',
  lowLabel: null,
  highLabel: null,
  stuckLabel: 'stuck',
  description: '',
});

/**
 * What the server says about an activation (GET runs' `activations`): its
 * largest derivative and the words for its saturated values.
 * @param {{activations: Object<string, Object>}} server
 * @param {string} name
 * @returns {{maxDerivative: ?number, saturatedLabel: string, lowLabel: ?string, highLabel: ?string,
 *     stuckLabel: string, description: string}}
 */
export function activationFacts(server, name) {
  const facts = Object.hasOwn(server.activations, name) ? server.activations[name] : {};
  return { ...UNDESCRIBED_ACTIVATION, ...facts };
}

/**
 * How many columns to ask a route for: one per device pixel of the plot.
 * @param {number} widthCss Plot width in CSS pixels.
 * @param {number} pxRatio
 * @param {number} limit The largest count the route accepts.
 * @returns {number} 1..limit
 */
export function requestedColumns(widthCss, pxRatio, limit) {
  return Math.min(limit, Math.max(1, Math.round(widthCss * pxRatio)));
}

/**
 * The last logged step of a run, from GET runs.
 * @param {?{layers: Array<{maxStep: ?number}>}} entry
 * @returns {?number} null when no layer has a step (or the run is unknown).
 */
export function runLastStep(entry) {
  let last = null;
  for (const layer of entry ? entry.layers : []) {
    if (Number.isFinite(layer.maxStep) && (last === null || layer.maxStep > last)) last = layer.maxStep;
  }
  return last;
}

/**
 * The share of the shared step axis a run's columns cover, from its last step
 * and the last step of every run shown (steps counted from 0).
 * @param {?number} last The run's last step.
 * @param {?number} sharedLast The largest last step of the runs shown.
 * @returns {number} In (0, 1]; 1 when either is unknown.
 */
export function runShare(last, sharedLast) {
  if (!Number.isFinite(last) || !Number.isFinite(sharedLast) || sharedLast < 0) return 1;
  return Math.min(1, Math.max(1, last + 1) / (sharedLast + 1));
}

/**
 * What GET runs tells about the server, beside the runs: the route limits,
 * the activations it knows (their ranges, largest derivative and words) and
 * the labels of the diagnosis' causes.
 * @param {{limits: {maxSteps: number, maxUnits: number}, activations: ?Object, causeLabels: ?Object}} body
 * @returns {{limits: {maxSteps: number, maxUnits: number}, activations: Object<string, Object>,
 *     causeLabels: Object<string, string>}}
 */
export function serverInfo(body) {
  return { limits: body.limits, activations: body.activations || {}, causeLabels: body.causeLabels || {} };
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
 * The steps where values outside the activation's range were logged (pre-activations passed by mistake).
 * @param {number[]} steps
 * @param {?number[]} shares Share of finite values out of range per step.
 * @returns {{step: number, share: number}[]}
 */
export function outOfRangeSteps(steps, shares) {
  const found = [];
  steps.forEach((step, i) => {
    if (shares[i] > 0) found.push({ step, share: shares[i] });
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

/**
 * Folds heatmap columns narrower than a device pixel into a drawn neighbour,
 * keeping the maximum, so that every column's value is drawn: a column of zero
 * width joins the next column that has a width (the last ones join the last
 * such column).
 * @param {ArrayLike<number>} colEdges cols + 1 increasing device-pixel edges.
 * @param {ReadonlyArray<ReadonlyArray<?number>>} rows Values [row][column], null = unknown.
 * @returns {{colEdges: number[], rows: ?number[][], groups: number[]}} The drawn columns: their
 *     edges, values (the maximum of the non-null values folded in, null if none) and the first
 *     original column of each.
 */
export function foldColumns(colEdges, rows) {
  const cols = colEdges.length - 1;
  const groups = [];
  for (let col = 0; col < cols; col++) {
    const opensGroup = groups.length === 0 || colEdges[col] > colEdges[groups[groups.length - 1]];
    if (opensGroup) groups.push(col);
  }
  // A group that starts at the last edge (only zero-width columns at the end) joins the one before.
  if (groups.length > 1 && colEdges[groups[groups.length - 1]] === colEdges[cols]) groups.pop();
  const edges = [...groups.map((col) => colEdges[col]), colEdges[cols]];
  const folded = rows.map((row) =>
    groups.map((start, k) => {
      const end = k + 1 < groups.length ? groups[k + 1] : cols;
      let max = null;
      for (let col = start; col < end; col++) {
        if (row[col] !== null && (max === null || row[col] > max)) max = row[col];
      }
      return max;
    }),
  );
  return { colEdges: edges, rows: folded, groups };
}

/**
 * @typedef {Object} LayerRow One row of a run's overview.
 * @property {number} index The row's index in GET overview's `layers` and `values`.
 * @property {string} tag
 * @property {string} label The row's label: the tag, or the gate alone inside a group.
 * @property {?string} group The recurrent layer the series belongs to (its gates, or itself).
 * @property {?string} gate
 * @property {boolean} output Whether the layer is a model output.
 * @property {boolean} groupStart First row of a group.
 * @property {boolean} groupEnd Last row of a group.
 */

/**
 * The rows of a run's overview: network order, except that the gate series
 * of a recurrent layer (GET runs' `group` and `gate`) follow each other from
 * where the first of them is, a series tagged as the group itself first. The
 * first row of a group shows its full tag, the others only their gate (every
 * gate when the group's own series heads it).
 * @param {string[]} tags GET overview's `layers`, network order.
 * @param {Array<{tag: string, group: ?string, gate: ?string, output: ?boolean}>} layers GET runs' layers of the run.
 * @returns {LayerRow[]}
 */
export function layerRows(tags, layers) {
  const info = new Map(layers.map((layer) => [layer.tag, layer]));
  const groupNames = new Set(layers.filter((layer) => layer.group).map((layer) => layer.group));
  const groupOf = (tag) => {
    const layer = info.get(tag);
    if (layer && layer.group) return layer.group;
    return groupNames.has(tag) ? tag : null;
  };
  const slots = []; // an index, or the array of a group's indices
  const groups = new Map();
  tags.forEach((tag, index) => {
    const group = groupOf(tag);
    if (!group) {
      slots.push(index);
    } else if (groups.has(group)) {
      groups.get(group).push(index);
    } else {
      groups.set(group, [index]);
      slots.push(groups.get(group));
    }
  });
  const rows = [];
  for (const slot of slots) {
    if (!Array.isArray(slot)) {
      const tag = tags[slot];
      const output = Boolean(info.get(tag) && info.get(tag).output === true);
      rows.push({ index: slot, tag, label: tag, group: null, gate: null, output, groupStart: false, groupEnd: false });
      continue;
    }
    const group = groupOf(tags[slot[0]]);
    const members = [...slot.filter((i) => tags[i] === group), ...slot.filter((i) => tags[i] !== group)];
    const headed = tags[members[0]] === group;
    members.forEach((index, position) => {
      const tag = tags[index];
      const layer = info.get(tag) || {};
      const gate = tag === group ? null : layer.gate || null;
      rows.push({
        index,
        tag,
        label: tag === group || (position === 0 && !headed) || !gate ? tag : gate,
        group,
        gate,
        output: layer.output === true,
        groupStart: position === 0,
        groupEnd: position === members.length - 1,
      });
    });
  }
  return rows;
}
