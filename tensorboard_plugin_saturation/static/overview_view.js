/**
 * One run's panel in the overview: the layers x steps heatmap of saturated
 * share with layer names as row labels, the step axis, the markers of the
 * diagnosis (onset steps, flagged layers) and the findings below.
 */

import { h, replaceChildren } from './dom.js';
import { renderFindings } from './findings_view.js';
import { formatCount, formatList, formatShare, formatStepRange } from './format.js';
import { labelRows, locate, rowHeightCss } from './layout.js';
import { causeLabel, findingMarks, foldColumns, layerRows } from './model.js';
import { createPlotFrame, markerLine, paintStepHeatmap, setUpStepPlot, showPlotMessage } from './plot_view.js';

/** Height of a message (loading, error) in place of a heatmap. */
const MESSAGE_HEIGHT_CSS = 64;
/** A marker label right of this share of the width goes to the left of its line. */
const FLIP_LABEL_AT = 0.6;
/** Onset labels closer than this share a row no more; rows are this far apart. */
const MARKER_LABEL_GAP_CSS = 220;
const MARKER_LABEL_TOP_CSS = 3;
const MARKER_LABEL_ROW_CSS = 18;
/** Rows lower than this get a smaller label font. */
const SMALL_LABEL_ROW_CSS = 18;

/**
 * @typedef {Object} OverviewView
 * @property {number[]} domain [lo, hi] steps shared by every run.
 * @property {{position: function(?number): ?number}} scale The shared colour scale.
 * @property {number} pxRatio
 * @property {{unknown: string}} colors Canvas colours of the theme.
 * @property {?string} selectedLayer
 * @property {Array<{tag: string, group: ?string, gate: ?string, output: ?boolean}>} layers The run's
 *     layers in GET runs (who is a gate of which recurrent layer, who is an output).
 */

/** Classes of a row's label: a gate series is indented under its group, which a rule joins. */
function layerLabelClass(row) {
  const classes = ['layer-label'];
  if (row.group) classes.push(row.tag === row.group ? 'group-head' : 'gate');
  if (row.groupStart) classes.push('group-start');
  if (row.groupEnd) classes.push('group-end');
  if (row.output) classes.push('output');
  return classes.join(' ');
}

/**
 * Creates the panel of one run.
 * @param {string} run
 * @param {{tooltip: Object, onSelectLayer: function(string): void}} options
 */
export function createRunPanel(run, { tooltip, onSelectLayer }) {
  const badge = h('span', { className: 'status-badge', hidden: true });
  const meta = h('span', { className: 'panel-meta' });
  const header = h('h3', { className: 'panel-title' }, [h('span', { className: 'panel-run', text: run }), badge, meta]);
  const frame = createPlotFrame('overview-plot', `Saturated share per layer and step of run ${run}`, tooltip);
  const findings = h('section', { className: 'findings', hidden: true });
  const element = h('article', { className: 'run-panel', 'data-run': run }, [header, frame.element, findings]);
  let drawn = null; // {overview, view, toCss, rowCss, widthCss} of the last heatmap
  let marks = findingMarks([]);
  let causeLabels = {};
  const labelOf = (cause) => causeLabel(cause, causeLabels);

  function renderMarks() {
    if (!drawn) return;
    const { rows, view, toCss, rowCss, widthCss } = drawn;
    const nodes = [];
    const selectedRow = rows.findIndex((row) => row.tag === view.selectedLayer);
    if (selectedRow >= 0) {
      const style = { top: `${selectedRow * rowCss}px`, height: `${rowCss}px` };
      nodes.push(h('div', { className: 'row-highlight', style }));
    }
    const [lo, hi] = view.domain;
    const onsets = marks.onsets.filter(({ step }) => step >= lo && step <= hi);
    const labelRowOf = labelRows(onsets.map(({ step }) => toCss(step)), MARKER_LABEL_GAP_CSS);
    onsets.forEach(({ step, causes }, i) => {
      const leftCss = toCss(step);
      const label = `onset: ${formatList(causes.map(labelOf))} (step ${step})`;
      const className = leftCss > widthCss * FLIP_LABEL_AT ? 'onset flip' : 'onset';
      nodes.push(markerLine(leftCss, label, className, MARKER_LABEL_TOP_CSS + labelRowOf[i] * MARKER_LABEL_ROW_CSS));
    });
    replaceChildren(frame.overlay, nodes);
    for (const label of frame.gutter.children) {
      const causes = marks.layers.get(label.dataset.layer);
      label.classList.toggle('flagged', Boolean(causes));
      label.classList.toggle('selected', label.dataset.layer === view.selectedLayer);
      label.title = causes ? `${label.dataset.layer}: ${formatList(causes.map(labelOf))}` : label.dataset.layer;
    }
  }

  function showMessage(text, kind) {
    drawn = null;
    meta.textContent = '';
    showPlotMessage(frame, text, kind, MESSAGE_HEIGHT_CSS);
  }

  return {
    element,
    run,
    /** @returns {number} Width of the heatmap in CSS pixels. */
    widthCss: () => frame.area.clientWidth,
    /** @returns {boolean} Whether a heatmap has been drawn (then reloads keep it until new data arrives). */
    hasDrawn: () => drawn !== null,
    /**
     * Shows a message instead of the heatmap.
     * @param {string} text
     * @param {'loading'|'empty'|'error'} kind
     */
    showMessage,
    /**
     * Draws the heatmap of GET overview.
     * @param {{layers: string[], steps: number[], stepEnds: number[], values: ?number[][]}} overview
     * @param {OverviewView} view
     */
    drawOverview(overview, view) {
      const { layers, steps, stepEnds, values } = overview;
      if (!layers.length) {
        const supported = Object.keys(view.server.activations).join(', ');
        showMessage(`This run has no layer with a supported activation${supported ? ` (${supported})` : ''}.`, 'empty');
        return;
      }
      if (!steps.length) {
        showMessage('No steps logged yet for this run.', 'empty');
        return;
      }
      // A recurrent layer's gates are drawn together; each row knows its index in the answer.
      const rows = layerRows(layers, view.layers);
      const rowCss = rowHeightCss(layers.length);
      const heightCss = rowCss * layers.length;
      const plot = setUpStepPlot(frame, heightCss, { starts: steps, ends: stepEnds }, view);
      // Columns narrower than a pixel fold into their neighbour, keeping the maximum: a burst stays visible.
      const folded = foldColumns(
        plot.colEdges,
        rows.map((row) => values[row.index]),
      );
      const rowEdges = paintStepHeatmap(plot, folded.rows, view.scale, view.colors.unknown, folded.colEdges);
      const { pxRatio } = view;

      replaceChildren(
        frame.gutter,
        rows.map((row) =>
          h(
            'button',
            {
              type: 'button',
              className: layerLabelClass(row),
              'data-layer': row.tag,
              style: {
                height: `${rowCss}px`,
                lineHeight: `${rowCss}px`,
                fontSize: rowCss < SMALL_LABEL_ROW_CSS ? '11px' : '12px',
              },
              onClick: () => onSelectLayer(row.tag),
            },
            [
              h('span', { className: 'layer-name', text: row.label }),
              row.output ? h('span', { className: 'output-mark', text: 'output', title: 'a model output' }) : null,
            ],
          ),
        ),
      );
      const stepRange = formatStepRange(steps[0], stepEnds[stepEnds.length - 1]);
      meta.textContent = `${formatCount(layers.length, 'layer')} · ${stepRange}`;

      frame.describe = (xCss, yCss) => {
        const col = locate(folded.colEdges, xCss * pxRatio);
        const row = locate(rowEdges, yCss * pxRatio);
        if (col < 0 || row < 0) return null;
        const first = folded.groups[col];
        const last = col + 1 < folded.groups.length ? folded.groups[col + 1] - 1 : steps.length - 1;
        return [
          run,
          `layer ${rows[row].tag}${rows[row].output ? ' (output)' : ''}`,
          formatStepRange(steps[first], stepEnds[last]),
          `saturated ${formatShare(folded.rows[row][col])}`,
        ];
      };
      frame.click = (xCss, yCss) => {
        const row = locate(rowEdges, yCss * pxRatio);
        if (row >= 0) onSelectLayer(rows[row].tag);
      };
      drawn = { rows, view, toCss: plot.stepToCss, rowCss, widthCss: plot.widthCss };
      renderMarks();
    },
    /**
     * Shows the run's diagnosis, or hides it (null: the route is not there).
     * @param {?{diagnosis: Object}|{error: string}} result
     * @param {Object<string, string>} labels The server's label of each cause.
     */
    setDiagnosis(result, labels) {
      causeLabels = labels;
      if (!result) {
        findings.hidden = true;
        badge.hidden = true;
        marks = findingMarks([]);
      } else if (result.error) {
        findings.hidden = false;
        badge.hidden = true;
        marks = findingMarks([]);
        const text = `Could not load the diagnosis: ${result.error}`;
        replaceChildren(findings, [h('p', { className: 'error-text', text })]);
      } else {
        const { diagnosis } = result;
        const problems = diagnosis.findings || [];
        findings.hidden = false;
        badge.hidden = false;
        badge.className = `status-badge ${problems.length ? 'saturated' : 'healthy'}`;
        badge.textContent = diagnosis.status;
        marks = findingMarks(problems);
        renderFindings(findings, diagnosis, causeLabels);
      }
      renderMarks();
    },
  };
}
