/**
 * The Saturation tab. TensorBoard loads this module in the plugin's iframe
 * and calls `render()` once.
 *
 * Wiring only: read the view from the URL, fetch the routes, hand the answers
 * to the views, keep the view in the URL, redraw on reload, theme, resize and
 * pixel-ratio changes. Every change goes through `update()`, which reuses the
 * answers it already has (so a redraw costs no request) and ignores answers
 * that arrive after a newer update started.
 */

import { diagnosisUrl, fetchJson, layerUrl, overviewUrl, runsUrl, unitsUrl } from './api.js';
import { shareScale } from './colormap.js';
import { createLegend, createRunPicker, createScaleToggle } from './controls_view.js';
import { UNITS_HEIGHT_CSS, createDetailPanel } from './detail_view.js';
import { createTooltip, h, replaceChildren } from './dom.js';
import { formatPercentTick } from './format.js';
import { MESSAGE_TYPES, connectToHost } from './ipc.js';
import { deviceLength } from './layout.js';
import { distributionGrid, maxValue, reconcileSelection, requestedColumns } from './model.js';
import { createRunPanel } from './overview_view.js';
import { columnSpans, stepDomain } from './scales.js';
import { canvasColors, rebaseCssUrls } from './theme.js';
import { dataFromViewState, hashWithPluginData, parseHash, pluginDataFromHash, viewStateFromData } from './urlstate.js';

const PLUGIN_NAME = 'saturation';
/** Performance marks: render() started; the overview of every selected run is drawn. */
export const RENDER_START_MARK = 'saturation-render-start';
export const FIRST_PAINT_MARK = 'saturation-first-paint';
/** Longest wait for TensorBoard to hand over the URL state. */
const URL_DATA_TIMEOUT_MS = 1000;
const RESIZE_DEBOUNCE_MS = 150;
/** Top of the distribution colour scale when every bin share is tiny. */
const MIN_DISTRIBUTION_MAX = 0.01;

/**
 * Renders the tab into the iframe's document.
 * @returns {Promise<void>} Resolves once the first view is drawn.
 */
export async function render() {
  performance.mark(RENDER_START_MARK);
  // The list of runs is the first thing the tab waits for: ask before anything else.
  const firstRuns = fetchJson(runsUrl()).then(
    (body) => ({ runs: body.runs }),
    (error) => ({ error }),
  );
  const stylesheet = loadStylesheet();
  adoptHostFonts();

  const state = {
    runs: [],
    selected: [],
    layer: null,
    scaleKind: 'linear',
    pxRatio: window.devicePixelRatio || 1,
    generation: 0,
    answers: new Map(), // URL -> Promise of its JSON, kept until the next reload
    runPanels: new Map(),
    detailPanels: new Map(),
    firstPaintMarked: false,
  };

  const tooltip = createTooltip(document.body);
  const picker = createRunPicker((run, checked) => {
    const chosen = new Set(state.selected);
    if (checked) chosen.add(run);
    else chosen.delete(run);
    state.selected = state.runs.map((entry) => entry.run).filter((name) => chosen.has(name));
    update();
  });
  const toggle = createScaleToggle((kind) => {
    state.scaleKind = kind;
    update();
  });
  const legend = createLegend('overview-legend');
  const notice = h('div', { className: 'notice', role: 'status' });
  const runGrid = h('div', { className: 'panel-grid' });
  const overviewSection = h('section', { className: 'overview-section', hidden: true }, [
    h('h2', { className: 'section-title' }, [
      'Overview',
      h('span', {
        className: 'section-hint',
        text:
          'layers × steps · colour: share of saturated activations (ReLU: exact zeros) · ' +
          'click a layer for detail',
      }),
    ]),
    runGrid,
  ]);
  const detailTitle = h('span', { className: 'section-layer' });
  const detailGrid = h('div', { className: 'panel-grid' });
  const closeDetail = h('button', {
    type: 'button',
    className: 'close-detail',
    text: 'Close',
    onClick: () => selectLayer(null),
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
  document.body.append(app);

  function showNotice(text, kind) {
    notice.textContent = text;
    notice.className = `notice ${kind || ''}`;
    notice.hidden = !text;
  }

  /** The JSON of a URL, from this reload's answers or fetched now; `used` collects the URL. */
  function answer(url, used) {
    let promise = state.answers.get(url);
    if (!promise) {
      promise = fetchJson(url);
      promise.catch(() => {}); // failures are shown where the answer is used
      state.answers.set(url, promise);
    }
    used.add(url);
    return promise;
  }

  /** Drops the answers the latest update did not use (e.g. an overview at a former width). */
  function forgetAnswersExcept(used) {
    for (const url of state.answers.keys()) {
      if (!used.has(url)) state.answers.delete(url);
    }
  }

  function selectLayer(layer) {
    state.layer = layer;
    update().then(() => {
      if (layer && !detailSection.hidden) detailSection.scrollIntoView({ block: 'nearest' });
    });
  }

  function syncPanels(panels, grid, create) {
    for (const [run, panel] of panels) {
      if (!state.selected.includes(run)) {
        panel.element.remove();
        panels.delete(run);
      }
    }
    for (const run of state.selected) {
      if (!panels.has(run)) panels.set(run, create(run));
    }
    replaceChildren(grid, state.selected.map((run) => panels.get(run).element));
  }

  function layerOf(run, tag) {
    const entry = state.runs.find((candidate) => candidate.run === run);
    return entry ? entry.layers.find((layer) => layer.tag === tag) || null : null;
  }

  /** Puts the view into TensorBoard's URL while the Saturation tab is the one shown there. */
  function writeUrl() {
    const data = dataFromViewState({ runs: state.selected, layer: state.layer });
    for (const target of [window.parent, window]) {
      try {
        const url = new URL(target.location.href);
        if (target !== window && parseHash(url.hash).tab !== PLUGIN_NAME) return;
        const hash = hashWithPluginData(url.hash, PLUGIN_NAME, data);
        if (hash !== url.hash) {
          url.hash = hash;
          target.history.replaceState(target.history.state, '', url.href);
        }
        return;
      } catch {
        // Not same-origin: try our own window.
      }
    }
  }

  function markFirstPaint() {
    if (state.firstPaintMarked) return;
    state.firstPaintMarked = true;
    performance.mark(FIRST_PAINT_MARK);
    performance.measure(FIRST_PAINT_MARK, RENDER_START_MARK, FIRST_PAINT_MARK);
  }

  function colors() {
    const style = getComputedStyle(document.documentElement);
    return canvasColors((property) => style.getPropertyValue(property));
  }

  /** Everything but the plots: URL, picker, toggle, legend, notice, one panel per selected run. */
  function renderFrame() {
    writeUrl();
    picker.setRuns(state.runs, state.selected);
    toggle.setKind(state.scaleKind);
    legend.update(shareScale(state.scaleKind, 1), 'Saturated share', formatPercentTick);
    if (!state.runs.length) {
      showNotice(
        'No saturation data yet. Log activations with SaturationCallback or summary.saturation(...) into the ' +
          'log directory; runs appear here on the next reload.',
        'empty',
      );
    } else if (!state.selected.length) {
      showNotice('Select one or more runs above to see their layers.', 'hint');
    } else {
      showNotice('', '');
    }
    overviewSection.hidden = !state.selected.length;
    syncPanels(state.runPanels, runGrid, (run) =>
      createRunPanel(run, { tooltip, onSelectLayer: (layer) => selectLayer(layer === state.layer ? null : layer) }),
    );
    detailSection.hidden = !detailShown();
    detailTitle.textContent = state.layer || '';
    syncPanels(state.detailPanels, detailGrid, (run) => createDetailPanel(run, { tooltip }));
  }

  /** Whether a selected run has the layer chosen for detail. */
  function detailShown() {
    return Boolean(state.layer) && state.selected.some((run) => layerOf(run, state.layer));
  }

  function drawOverviews(runs, results, view) {
    runs.forEach((run, i) => {
      const panel = state.runPanels.get(run);
      const result = results[i];
      if (result.status === 'fulfilled') panel.drawOverview(result.value, view);
      else panel.showMessage(`Could not load the overview: ${result.reason.message}`, 'error');
    });
  }

  function showDiagnoses(runs, used, isCurrent) {
    for (const run of runs) {
      answer(diagnosisUrl(run), used).then(
        (diagnosis) => {
          if (isCurrent()) state.runPanels.get(run).setDiagnosis({ diagnosis });
        },
        (error) => {
          // 404: the diagnosis route is not deployed, or knows nothing of this run. Show nothing.
          if (!isCurrent()) return;
          state.runPanels.get(run).setDiagnosis(error.status === 404 ? null : { error: error.message });
        },
      );
    }
  }

  async function drawDetails(runs, columns, view, used, isCurrent) {
    const unitRows = deviceLength(UNITS_HEIGHT_CSS, state.pxRatio);
    const requests = runs.map((run) => {
      const layer = layerOf(run, state.layer);
      const panel = state.detailPanels.get(run);
      if (!layer) {
        panel.showMessage(`This run has no layer named “${state.layer}”.`, 'empty');
        return null;
      }
      if (panel.drawnTag() !== layer.tag) panel.showMessage('Loading…', 'loading');
      return Promise.allSettled([
        answer(layerUrl(run, layer.tag, columns), used),
        layer.hasUnits ? answer(unitsUrl(run, layer.tag, columns, unitRows), used) : Promise.resolve(null),
      ]);
    });
    const results = await Promise.all(requests);
    if (!isCurrent()) return;
    const layers = results.filter((r) => r && r[0].status === 'fulfilled').map((r) => r[0].value);
    // One colour scale for the distributions of every run shown.
    const maxima = layers.map((layer) => maxValue(distributionGrid(layer.histograms)));
    const distributionMax = Math.max(MIN_DISTRIBUTION_MAX, ...maxima);
    runs.forEach((run, i) => {
      if (!results[i]) return;
      const panel = state.detailPanels.get(run);
      const [layerResult, unitsResult] = results[i];
      if (layerResult.status === 'rejected') {
        panel.showMessage(`Could not load the layer: ${layerResult.reason.message}`, 'error');
        return;
      }
      const units = unitsResult.status === 'fulfilled' ? unitsResult.value : { error: unitsResult.reason.message };
      panel.draw(layerResult.value, units, {
        domain: view.domain,
        scaleKind: state.scaleKind,
        distributionMax,
        pxRatio: view.pxRatio,
        colors: view.colors,
      });
    });
  }

  /** Brings every view in line with `state`; resolves when the overview and detail are drawn. */
  async function update() {
    const generation = ++state.generation;
    const isCurrent = () => generation === state.generation;
    const used = new Set();
    renderFrame();
    if (!state.selected.length) {
      forgetAnswersExcept(used);
      markFirstPaint();
      return;
    }
    const runs = state.selected.slice();
    const columns = requestedColumns(state.runPanels.get(runs[0]).widthCss(), state.pxRatio);
    for (const run of runs) {
      const panel = state.runPanels.get(run);
      if (!panel.hasDrawn()) panel.showMessage('Loading…', 'loading');
    }
    const results = await Promise.allSettled(runs.map((run) => answer(overviewUrl(run, columns), used)));
    if (!isCurrent()) return;
    const fetched = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const view = {
      domain: stepDomain(fetched.map((overview) => columnSpans(overview.steps, overview.stepEnds))),
      scale: shareScale(state.scaleKind, 1),
      pxRatio: state.pxRatio,
      colors: colors(),
      selectedLayer: state.layer,
    };
    drawOverviews(runs, results, view);
    markFirstPaint();
    // The diagnosis and the detail are asked for only now, so that the server answers the overview first.
    showDiagnoses(runs, used, isCurrent);
    if (detailShown()) {
      await drawDetails(runs, columns, view, used, isCurrent);
      if (!isCurrent()) return;
    }
    forgetAnswersExcept(used);
  }

  /** TensorBoard reloaded its data: ask everything again, keep the view. */
  async function reload() {
    state.answers = new Map();
    let runs;
    try {
      runs = (await fetchJson(runsUrl())).runs;
    } catch (error) {
      showNotice(`Could not reload the list of runs: ${error.message}`, 'error');
      return;
    }
    // The first runs to appear (after none, or after a failed first load) are shown like on a first load.
    const fallbackToFirst = !state.runs.length;
    state.runs = runs;
    state.selected = reconcileSelection(state.selected, runs.map((entry) => entry.run), fallbackToFirst);
    await update();
  }

  let ready = false;
  watchTheme(() => {
    if (ready) update();
  });
  showNotice('Loading runs…', 'loading');
  const host = window.parent !== window ? connectToHost(window.parent) : null;
  const [urlData, firstRunsResult] = await Promise.all([readUrlData(host), firstRuns, stylesheet]);
  ready = true;
  watchPixelRatio(() => {
    state.pxRatio = window.devicePixelRatio || 1;
    update();
  });
  try {
    // Coming back to the tab, TensorBoard writes "#saturation" alone: put the view back.
    window.parent.addEventListener('hashchange', writeUrl);
  } catch {
    // Not same-origin.
  }

  if (firstRunsResult.error) {
    showNotice(`Could not load the list of runs: ${firstRunsResult.error.message}`, 'error');
    markFirstPaint();
  } else {
    state.runs = firstRunsResult.runs;
    const view = viewStateFromData(urlData);
    state.selected = reconcileSelection(view.runs || [], state.runs.map((entry) => entry.run), true);
    state.layer = view.layer;
    await update();
  }
  // Listening only now keeps a reload from racing the first load.
  if (host) host.listen(MESSAGE_TYPES.DATA_RELOADED, () => void reload());
  watchWidth(runGrid, () => update());
}

/** Loads style.css next to this module; resolves when it applied (or failed). */
function loadStylesheet() {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = new URL('./style.css', import.meta.url).href;
  const loaded = new Promise((resolve) => {
    link.addEventListener('load', resolve);
    link.addEventListener('error', resolve);
  });
  document.head.append(link);
  return loaded;
}

/** Reuses TensorBoard's Roboto @font-face rules in the iframe, so that the tab's text matches the host. */
function adoptHostFonts() {
  try {
    const hostDocument = window.parent.document;
    if (hostDocument === document) return;
    const rules = [];
    for (const sheet of hostDocument.styleSheets) {
      let cssRules;
      try {
        cssRules = sheet.cssRules;
      } catch {
        continue; // a cross-origin sheet
      }
      for (const rule of cssRules) {
        if (rule.constructor.name !== 'CSSFontFaceRule') continue;
        rules.push(rebaseCssUrls(rule.cssText, sheet.href || hostDocument.baseURI));
      }
    }
    if (rules.length) document.head.append(h('style', { text: rules.join('\n') }));
  } catch {
    // The host is not reachable: the system sans-serif is used.
  }
}

/**
 * The plugin's URL state: the `p.saturation.*` keys of TensorBoard's URL hash
 * (of our own URL when the tab is opened outside TensorBoard). Read directly
 * from the host page, which is same-origin; TensorBoard 2.21 answers
 * GetURLPluginData with {} because its own hash storage is off, so the message
 * is only sent when the host page cannot be read.
 */
async function readUrlData(host) {
  try {
    return pluginDataFromHash(window.parent.location.hash, PLUGIN_NAME);
  } catch {
    // The host page is not same-origin: ask TensorBoard below.
  }
  if (host) {
    try {
      const data = await host.sendMessage(MESSAGE_TYPES.GET_URL_DATA, { pluginName: PLUGIN_NAME }, URL_DATA_TIMEOUT_MS);
      if (data && typeof data === 'object') return data;
    } catch {
      // No answer: start from the default view.
    }
  }
  return {};
}

/**
 * Follows TensorBoard's dark mode (the host's body.dark-mode), or the
 * system's preference when the host cannot be read; toggles :root.dark.
 */
function watchTheme(onChange) {
  let hostBody = null;
  try {
    if (window.parent !== window) hostBody = window.parent.document.body;
  } catch {
    hostBody = null;
  }
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const isDark = () => (hostBody ? hostBody.classList.contains('dark-mode') : media.matches);
  let dark = isDark();
  document.documentElement.classList.toggle('dark', dark);
  const check = () => {
    if (isDark() === dark) return;
    dark = !dark;
    document.documentElement.classList.toggle('dark', dark);
    onChange();
  };
  if (hostBody) new MutationObserver(check).observe(hostBody, { attributes: true, attributeFilter: ['class'] });
  media.addEventListener('change', check);
}

/** Calls `onChange` when devicePixelRatio changes (zoom, moving to another screen). */
function watchPixelRatio(onChange) {
  const arm = () => {
    window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener(
      'change',
      () => {
        arm();
        onChange();
      },
      { once: true },
    );
  };
  arm();
}

/** Calls `onChange` (debounced) when the element's width changes. */
function watchWidth(element, onChange) {
  let width = element.clientWidth;
  let timer = null;
  new ResizeObserver(() => {
    if (element.clientWidth === width) return;
    width = element.clientWidth;
    clearTimeout(timer);
    timer = setTimeout(onChange, RESIZE_DEBOUNCE_MS);
  }).observe(element);
}
