/**
 * The tab's page: toolbar (run picker, colour scale), notice, the overview
 * with one panel per selected run and the layer detail with one panel per
 * selected run. Implements the `View` the controller draws through
 * (controller.js); user actions go to the `actions` callbacks.
 *
 * Panels are drawn lazily: a panel counts as visible when it is within one
 * viewport height of the visible part of the page, and an IntersectionObserver
 * asks for an update when a panel that the last update did not draw comes near.
 */

import { shareScale } from './colormap.js';
import { createLegend, createRunPicker, createScaleToggle } from './controls_view.js';
import { UNITS_HEIGHT_CSS, createDetailPanel } from './detail_view.js';
import { createTooltip, h, replaceChildren } from './dom.js';
import { formatPercentTick } from './format.js';
import { createRunPanel } from './overview_view.js';
import { canvasColors } from './theme.js';

/** How far outside the visible part of the page a panel still counts as visible, in viewport heights. */
const VISIBLE_MARGIN = 1;

/**
 * The server's words for saturated values, with the activations that use each:
 * "saturated (sigmoid, tanh) or dead (relu) activations".
 * @param {Object<string, {saturatedLabel: string}>} activations What the server says of each activation.
 * @param {Iterable<string>} names The activations to name (those of the runs shown); named in the server's order.
 * @returns {string}
 */
export function saturatedWords(activations, names) {
  const wanted = new Set(names);
  const byLabel = new Map();
  for (const [name, facts] of Object.entries(activations)) {
    if (!wanted.has(name)) continue;
    if (!byLabel.has(facts.saturatedLabel)) byLabel.set(facts.saturatedLabel, []);
    byLabel.get(facts.saturatedLabel).push(name);
  }
  if (!byLabel.size) return 'saturated activations';
  const words = [...byLabel].map(([label, names]) => `${label} (${names.join(', ')})`);
  return `${words.join(' or ')} activations`;
}

/**
 * Builds the page into `parent`.
 * @param {HTMLElement} parent
 * @param {{toggleRun: function(string, boolean), selectRuns: function(string[]), toggleLayer: function(?string),
 *     setScaleKind: function(string), panelsNeeded: function(), loadStatuses: function(string[])}} actions
 */
export function createAppView(parent, actions) {
  const tooltip = createTooltip(document.body);
  const picker = createRunPicker({
    onToggle: actions.toggleRun,
    onSelect: actions.selectRuns,
    onStatusesNeeded: actions.loadStatuses,
  });
  const toggle = createScaleToggle(actions.setScaleKind);
  const legend = createLegend('overview-legend');
  const notice = h('div', { className: 'notice', role: 'status' });
  const runGrid = h('div', { className: 'panel-grid' });
  const overviewHint = h('span', { className: 'section-hint' });
  const overviewSection = h('section', { className: 'overview-section', hidden: true }, [
    h('h2', { className: 'section-title' }, [
      'Overview',
      overviewHint,
    ]),
    runGrid,
  ]);
  const detailTitle = h('span', { className: 'section-layer' });
  const detailGrid = h('div', { className: 'panel-grid' });
  const closeDetail = h('button', {
    type: 'button',
    className: 'close-detail',
    text: 'Close',
    onClick: () => actions.toggleLayer(null),
  });
  const detailSection = h('section', { className: 'detail-section', hidden: true }, [
    h('h2', { className: 'section-title' }, ['Layer ', detailTitle, closeDetail]),
    detailGrid,
  ]);
  const app = h('main', { className: 'sat-app' }, [
    h('header', { className: 'toolbar' }, [
      picker.element,
      h('div', { className: 'scale-controls' }, [toggle.element, legend.element]),
    ]),
    notice,
    overviewSection,
    detailSection,
  ]);
  parent.append(app);

  const runPanels = new Map();
  const detailPanels = new Map();
  /** Panels the latest update drew (or is drawing); the others are redrawn when they come into view. */
  const current = new Set();
  let selected = [];
  let server = { activations: {}, causeLabels: {} };

  let pending = false;
  const observer = new IntersectionObserver(
    (entries) => {
      const stale = entries.some((entry) => entry.isIntersecting && !current.has(entry.target));
      if (!stale || pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        actions.panelsNeeded();
      });
    },
    { rootMargin: `${VISIBLE_MARGIN * 100}% 0px` },
  );

  /** Keeps one panel per run of `runs` in `grid`, in that order. */
  function syncPanels(panels, grid, runs, create) {
    const wanted = new Set(runs);
    for (const [run, panel] of panels) {
      if (!wanted.has(run)) {
        observer.unobserve(panel.element);
        panel.element.remove();
        panels.delete(run);
      }
    }
    for (const run of runs) {
      if (!panels.has(run)) {
        const panel = create(run);
        panels.set(run, panel);
        observer.observe(panel.element);
      }
    }
    replaceChildren(grid, runs.map((run) => panels.get(run).element));
  }

  function colors() {
    const style = getComputedStyle(document.documentElement);
    return canvasColors((property) => style.getPropertyValue(property));
  }

  /** The controller's plot view with what only the page knows: the colour scale and the theme's colours. */
  function panelView(plotView) {
    return { ...plotView, scale: shareScale(plotView.scaleKind, 1), colors: colors() };
  }

  return {
    /** The element whose width the heatmaps follow. */
    widthElement: runGrid,
    unitsHeightCss: UNITS_HEIGHT_CSS,

    showNotice(text, kind) {
      notice.textContent = text;
      notice.className = `notice ${kind || ''}`;
      notice.hidden = !text;
    },

    renderFrame(frame) {
      selected = frame.selected;
      server = frame.server;
      current.clear();
      picker.setRuns(frame.runs, frame.selected, frame.statuses);
      toggle.setKind(frame.scaleKind);
      legend.update(shareScale(frame.scaleKind, 1), 'Saturated share', formatPercentTick);
      overviewSection.hidden = !frame.overviewShown;
      const chosen = new Set(frame.selected);
      const names = new Set();
      for (const entry of frame.runs) {
        if (chosen.has(entry.run)) for (const layer of entry.layers) names.add(layer.activation);
      }
      overviewHint.textContent =
        `layers × steps · colour: share of ${saturatedWords(server.activations, names)} · click a layer for detail`;
      syncPanels(runPanels, runGrid, selected, (run) =>
        createRunPanel(run, { tooltip, onSelectLayer: (layer) => actions.toggleLayer(layer) }),
      );
      detailSection.hidden = !frame.detailShown;
      detailTitle.textContent = frame.layer || '';
      // Detail panels exist only while a layer is shown in detail.
      syncPanels(detailPanels, detailGrid, frame.detailShown ? selected : [], (run) =>
        createDetailPanel(run, { tooltip }),
      );
    },

    overviewWidthCss() {
      const panel = runPanels.get(selected[0]);
      return panel ? panel.widthCss() : 0;
    },

    isVisible(section, run) {
      const panel = (section === 'overview' ? runPanels : detailPanels).get(run);
      if (!panel || panel.element.closest('[hidden]')) return false;
      const box = panel.element.getBoundingClientRect();
      const margin = window.innerHeight * VISIBLE_MARGIN;
      const visible = box.bottom >= -margin && box.top <= window.innerHeight + margin;
      if (visible) current.add(panel.element);
      return visible;
    },

    overviewDrawn: (run) => runPanels.get(run).hasDrawn(),
    showOverviewMessage: (run, text, kind) => runPanels.get(run).showMessage(text, kind),
    drawOverview: (run, overview, plotView) => runPanels.get(run).drawOverview(overview, panelView(plotView)),
    setDiagnosis(run, result) {
      const panel = runPanels.get(run);
      if (panel) panel.setDiagnosis(result, server.causeLabels);
    },

    setStatus: (run, status) => picker.setStatus(run, status),

    detailDrawnTag: (run) => detailPanels.get(run).drawnTag(),
    showDetailMessage: (run, text, kind) => detailPanels.get(run).showMessage(text, kind),
    drawDetail: (run, layer, units, plotView) => detailPanels.get(run).draw(layer, units, panelView(plotView)),

    revealDetail() {
      if (!detailSection.hidden) detailSection.scrollIntoView({ block: 'nearest' });
    },
  };
}
