/**
 * The tab's state and the one way to bring the page in line with it: `update()`.
 *
 * No DOM here: the controller fetches route answers through `fetchJson`, tells
 * a `view` what to draw and a `host` what to put in TensorBoard's URL, so that
 * `node --test` drives it with fakes. It keeps
 *   - the state: the runs the server has, the selection, the layer in detail,
 *     the colour scale kind, the device pixel ratio;
 *   - the answer cache: each URL is fetched once per reload and kept while the
 *     state still asks for it (a redraw after a theme change costs no request);
 *   - the generation guard: answers that arrive after a newer update started
 *     are not drawn;
 *   - URL sync: every update writes the selection and the layer to the host.
 * Only the runs the view reports visible are fetched and drawn (the tab draws
 * hundreds of runs lazily, as they scroll into view).
 */

import { diagnosisUrl, layerUrl, overviewUrl, runsUrl, unitsUrl } from './api.js';
import {
  distributionGrid,
  maxValue,
  reconcileSelection,
  requestedColumns,
  runLastStep,
  runShare,
  serverInfo,
} from './model.js';
import { columnSpans, stepDomain } from './scales.js';
import { dataFromViewState, viewStateFromData } from './urlstate.js';

/** Diagnoses asked for at once to learn the status of runs (the picker's status column and sort). */
export const STATUS_CONCURRENCY = 4;

/** Top of the distribution colour scale when every bin share is tiny. */
export const MIN_DISTRIBUTION_MAX = 0.01;

export const NO_RUNS_NOTICE =
  'No saturation data yet. Log activations with SaturationCallback or summary.saturation(...) into the ' +
  'log directory; runs appear here on the next reload.';
export const NO_SELECTION_NOTICE = 'Select one or more runs above to see their layers.';

/**
 * @typedef {Object} View What the controller draws through (the DOM side, or a fake in tests).
 * @property {function(Object): void} renderFrame Picker, toggle, legend, sections, one panel per selected run.
 * @property {function(string, string): void} showNotice Text ('' hides it) and kind.
 * @property {function(): number} overviewWidthCss Width of an overview heatmap, CSS pixels.
 * @property {number} unitsHeightCss Height of the per-unit heatmap, CSS pixels.
 * @property {function('overview'|'detail', string): boolean} isVisible Whether a run's panel is in (or near) view.
 * @property {function(string): boolean} overviewDrawn
 * @property {function(string, string, string): void} showOverviewMessage run, text, kind.
 * @property {function(string, Object, Object): void} drawOverview run, GET overview, plot view.
 * @property {function(string, ?Object): void} setDiagnosis run, {diagnosis} | {error} | null.
 * @property {function(string): ?string} detailDrawnTag
 * @property {function(string, string, string): void} showDetailMessage run, text, kind.
 * @property {function(string, Object, ?Object, Object): void} drawDetail run, GET layer, GET units, plot view.
 * @property {function(): void} revealDetail Scrolls the detail section into view.
 * @property {function(string, ?{status: string, saturated: boolean}): void} setStatus A run's status became known.
 */

/**
 * @typedef {Object} Host What the controller tells TensorBoard's page.
 * @property {function(Object<string, ?string>): void} writeUrl The plugin's URL data.
 * @property {function(): void} markFirstPaint Called when every visible selected run is drawn (repeats are no-ops).
 */

/**
 * Creates the controller.
 * @param {{fetchJson: function(string): Promise<any>, view: View, host: Host, pxRatio: number}} options
 */
export function createController({ fetchJson, view, host, pxRatio = 1 }) {
  const state = {
    runs: [], // GET runs' entries: {run, layers}
    runIndex: new Map(), // run -> its entry
    server: serverInfo({}), // what GET runs says about the server: activations, limits, words
    selected: [],
    layer: null,
    scaleKind: 'linear',
    pxRatio,
    generation: 0,
    answers: new Map(), // URL -> {promise, settled}, kept until the next reload
    statuses: new Map(), // run -> {status, saturated}, or null when the run has no diagnosis; as answers come
  };
  const statusQueue = [];
  let statusRequests = 0;

  /** The JSON of a URL: this reload's answer, or fetched now. */
  function answer(url) {
    let entry = state.answers.get(url);
    if (!entry) {
      entry = { promise: fetchJson(url), settled: null };
      const settle = (settled) => {
        entry.settled = settled;
      };
      entry.promise.then(
        (value) => settle({ status: 'fulfilled', value }),
        (reason) => settle({ status: 'rejected', reason }),
      );
      state.answers.set(url, entry);
    }
    return entry.promise;
  }

  /** An answer that already arrived, or undefined. */
  function settledValue(url) {
    const entry = state.answers.get(url);
    return entry && entry.settled && entry.settled.status === 'fulfilled' ? entry.settled.value : undefined;
  }

  function runEntry(run) {
    return state.runIndex.get(run) || null;
  }

  function layerOf(run, tag) {
    const entry = runEntry(run);
    return entry ? entry.layers.find((layer) => layer.tag === tag) || null : null;
  }

  /** Whether a selected run has the layer chosen for detail. */
  function detailShown() {
    return Boolean(state.layer) && state.selected.some((run) => layerOf(run, state.layer));
  }

  /** Columns to ask for a run: one per device pixel of its own share of the shared step axis. */
  function columnsOf(run, sharedLast, widthCss) {
    const share = runShare(runLastStep(runEntry(run)), sharedLast);
    return requestedColumns(widthCss * share, state.pxRatio, state.server.limits.maxSteps);
  }

  /** The URLs the current state asks for, for each selected run. */
  function selectedRequests() {
    const sharedLast = Math.max(...state.selected.map((run) => runLastStep(runEntry(run))));
    const widthCss = view.overviewWidthCss();
    return new Map(state.selected.map((run) => [run, requestsOf(run, columnsOf(run, sharedLast, widthCss))]));
  }

  /** The URLs the current state asks for a run whose requests have `columns` columns. */
  function requestsOf(run, columns) {
    const layer = state.layer ? layerOf(run, state.layer) : null;
    const unitRows = Math.round(view.unitsHeightCss * state.pxRatio);
    return {
      overview: overviewUrl(run, columns),
      diagnosis: diagnosisUrl(run),
      layer: layer ? layerUrl(run, layer.tag, columns) : null,
      units:
        layer && layer.hasUnits
          ? unitsUrl(run, layer.tag, columns, Math.max(1, Math.min(state.server.limits.maxUnits, unitRows)))
          : null,
    };
  }

  /**
   * Drops the answers the state no longer asks for (e.g. an overview at a
   * former width). Diagnoses do not depend on the view: they stay until the next reload.
   */
  function forgetUnwanted(requests) {
    const wanted = new Set();
    for (const urls of requests.values()) for (const url of Object.values(urls)) if (url) wanted.add(url);
    for (const url of state.answers.keys()) {
      const isDiagnosis = url.startsWith(diagnosisUrl('')); // every diagnosis URL starts with "diagnosis?run="
      if (!wanted.has(url) && !isDiagnosis) state.answers.delete(url);
    }
  }

  /** Records what a diagnosis says of a run's status (null: the run has none) and tells the view. */
  function recordStatus(run, diagnosis) {
    const status = diagnosis ? { status: diagnosis.status, saturated: (diagnosis.findings || []).length > 0 } : null;
    state.statuses.set(run, status);
    view.setStatus(run, status);
  }

  /** Asks for the diagnoses in the status queue, STATUS_CONCURRENCY at a time. */
  function pumpStatuses() {
    while (statusRequests < STATUS_CONCURRENCY && statusQueue.length) {
      const run = statusQueue.shift();
      if (state.statuses.has(run)) continue;
      statusRequests++;
      const reloadAnswers = state.answers;
      answer(diagnosisUrl(run))
        .then(
          (diagnosis) => {
            if (state.answers === reloadAnswers) recordStatus(run, diagnosis);
          },
          () => {
            if (state.answers === reloadAnswers) recordStatus(run, null);
          },
        )
        .finally(() => {
          statusRequests--;
          pumpStatuses();
        });
    }
  }

  function notice() {
    if (!state.runs.length) return [NO_RUNS_NOTICE, 'empty'];
    if (!state.selected.length) return [NO_SELECTION_NOTICE, 'hint'];
    return ['', ''];
  }

  function renderFrame() {
    host.writeUrl(dataFromViewState({ runs: state.selected, layer: state.layer }));
    view.showNotice(...notice());
    view.renderFrame({
      runs: state.runs,
      selected: state.selected,
      layer: state.layer,
      scaleKind: state.scaleKind,
      statuses: state.statuses,
      server: state.server,
      overviewShown: state.selected.length > 0,
      detailShown: detailShown(),
    });
  }

  function showDiagnoses(runs, requests, isCurrent) {
    for (const run of runs) {
      answer(requests.get(run).diagnosis).then(
        (diagnosis) => {
          recordStatus(run, diagnosis);
          if (isCurrent()) view.setDiagnosis(run, { diagnosis });
        },
        (error) => {
          recordStatus(run, null);
          // 404: the diagnosis route is not deployed, or knows nothing of this run. Show nothing.
          if (isCurrent()) view.setDiagnosis(run, error.status === 404 ? null : { error: error.message });
        },
      );
    }
  }

  /** The step domain of every overview answer at hand, so that every run shares one axis. */
  function sharedDomain(requests) {
    const overviews = [];
    for (const run of state.selected) {
      const overview = settledValue(requests.get(run).overview);
      if (overview) overviews.push(overview);
    }
    return stepDomain(overviews.map((overview) => columnSpans(overview.steps, overview.stepEnds)));
  }

  async function drawDetails(runs, requests, plotView, isCurrent) {
    const results = await Promise.all(
      runs.map((run) => {
        const { layer: layerRequest, units: unitsRequest } = requests.get(run);
        if (!layerRequest) {
          view.showDetailMessage(run, `This run has no layer named “${state.layer}”.`, 'empty');
          return null;
        }
        if (view.detailDrawnTag(run) !== state.layer) view.showDetailMessage(run, 'Loading…', 'loading');
        return Promise.allSettled([answer(layerRequest), unitsRequest ? answer(unitsRequest) : Promise.resolve(null)]);
      }),
    );
    if (!isCurrent()) return;
    // One colour scale for the distributions of every selected run at hand.
    const layers = state.selected.map((run) => requests.get(run).layer && settledValue(requests.get(run).layer));
    const maxima = layers.filter(Boolean).map((layer) => maxValue(distributionGrid(layer.histograms)));
    const distributionMax = Math.max(MIN_DISTRIBUTION_MAX, ...maxima);
    runs.forEach((run, i) => {
      if (!results[i]) return;
      const [layerResult, unitsResult] = results[i];
      if (layerResult.status === 'rejected') {
        view.showDetailMessage(run, `Could not load the layer: ${layerResult.reason.message}`, 'error');
        return;
      }
      const units = unitsResult.status === 'fulfilled' ? unitsResult.value : { error: unitsResult.reason.message };
      view.drawDetail(run, layerResult.value, units, { ...plotView, distributionMax, layerInfo: layerOf(run, state.layer) });
    });
  }

  /**
   * Brings every view in line with the state; resolves when the visible overviews and details are drawn.
   * @returns {Promise<void>}
   */
  async function update() {
    const generation = ++state.generation;
    const isCurrent = () => generation === state.generation;
    renderFrame();
    const requests = selectedRequests();
    if (!state.selected.length) {
      forgetUnwanted(requests);
      host.markFirstPaint();
      return;
    }
    const runs = state.selected.filter((run) => view.isVisible('overview', run));
    for (const run of runs) {
      if (!view.overviewDrawn(run)) view.showOverviewMessage(run, 'Loading…', 'loading');
    }
    const results = await Promise.allSettled(runs.map((run) => answer(requests.get(run).overview)));
    if (!isCurrent()) return;
    const plotView = {
      domain: sharedDomain(requests),
      scaleKind: state.scaleKind,
      pxRatio: state.pxRatio,
      selectedLayer: state.layer,
      server: state.server,
    };
    runs.forEach((run, i) => {
      const result = results[i];
      if (result.status === 'fulfilled') view.drawOverview(run, result.value, { ...plotView, layers: runEntry(run).layers });
      else view.showOverviewMessage(run, `Could not load the overview: ${result.reason.message}`, 'error');
    });
    host.markFirstPaint();
    // The diagnosis and the detail are asked for only now, so that the server answers the overview first.
    showDiagnoses(runs, requests, isCurrent);
    if (detailShown()) {
      const detailRuns = state.selected.filter((run) => view.isVisible('detail', run));
      await drawDetails(detailRuns, requests, plotView, isCurrent);
      if (!isCurrent()) return;
    }
    forgetUnwanted(requests);
  }

  function acceptRuns(body) {
    state.runs = body.runs;
    state.runIndex = new Map(body.runs.map((entry) => [entry.run, entry]));
    state.server = serverInfo(body);
  }

  return {
    /** The state, read-only by convention. */
    get state() {
      return state;
    },

    /**
     * The first load: the runs (asked for early by the caller) and the view from the URL.
     * @param {Promise<Object>} runsAnswer GET runs.
     * @param {Object<string, string>} urlData The plugin's URL data.
     */
    async start(runsAnswer, urlData) {
      let body;
      try {
        body = await runsAnswer;
      } catch (error) {
        view.showNotice(`Could not load the list of runs: ${error.message}`, 'error');
        host.markFirstPaint();
        return;
      }
      acceptRuns(body);
      const wanted = viewStateFromData(urlData);
      const names = state.runs.map((entry) => entry.run);
      state.selected = reconcileSelection(wanted.runs || [], names, true);
      state.layer = wanted.layer;
      await update();
    },

    update,

    /**
     * Learns the status of these runs (their diagnosis), a few requests at a
     * time; the view hears of each through `setStatus`.
     * @param {string[]} runs
     */
    loadStatuses(runs) {
      const queued = new Set(statusQueue);
      for (const run of runs) {
        if (!state.statuses.has(run) && !queued.has(run) && !state.answers.has(diagnosisUrl(run))) statusQueue.push(run);
      }
      pumpStatuses();
    },

    /** TensorBoard reloaded its data: ask everything again, keep the view. */
    async reload() {
      state.answers = new Map();
      state.statuses = new Map();
      statusQueue.length = 0;
      let body;
      try {
        body = await fetchJson(runsUrl());
      } catch (error) {
        view.showNotice(`Could not reload the list of runs: ${error.message}`, 'error');
        return;
      }
      // The first runs to appear (after none, or after a failed first load) are shown like on a first load.
      const fallbackToFirst = !state.runs.length;
      acceptRuns(body);
      const names = state.runs.map((entry) => entry.run);
      state.selected = reconcileSelection(state.selected, names, fallbackToFirst);
      await update();
    },

    /** Selects or unselects one run. */
    setRunSelected(run, selected) {
      const chosen = new Set(state.selected);
      if (selected) chosen.add(run);
      else chosen.delete(run);
      return this.selectRuns([...chosen]);
    },

    /** Selects exactly these runs (kept in the server's order). */
    selectRuns(runs) {
      state.selected = reconcileSelection(runs, state.runs.map((entry) => entry.run), false);
      return update();
    },

    /** Shows a layer in detail (null closes the detail); the same layer again closes it. */
    async toggleLayer(layer) {
      state.layer = layer === state.layer ? null : layer;
      await update();
      if (state.layer && detailShown()) view.revealDetail();
    },

    setScaleKind(kind) {
      state.scaleKind = kind;
      return update();
    },

    setPxRatio(ratio) {
      state.pxRatio = ratio;
      return update();
    },
  };
}
