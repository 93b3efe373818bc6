import { test } from 'node:test';
import assert from 'node:assert/strict';

import { HttpError } from '../../tensorboard_plugin_saturation/static/api.js';
import {
  NO_RUNS_NOTICE,
  NO_SELECTION_NOTICE,
  createController,
} from '../../tensorboard_plugin_saturation/static/controller.js';

const LIMITS = { maxSteps: 10000, maxUnits: 8192 };

function layer(tag, maxStep, extra = {}) {
  return { tag, activation: 'sigmoid', units: 4, steps: 10, maxStep, hasUnits: true, hasSignals: false, ...extra };
}

const RUNS = {
  runs: [
    { run: 'long', layers: [layer('dense', 9999), layer('dense_1', 9999)] },
    { run: 'short', layers: [layer('dense', 99)] },
  ],
  limits: LIMITS,
};

function overview(run, steps, stepEnds, values) {
  return { run, layers: values.map((_, i) => `dense${i ? `_${i}` : ''}`), steps, stepEnds, values };
}

/**
 * A fetch that answers from a table of URL -> JSON (or an Error), records every
 * URL asked, and holds the URLs listed in `held` until released.
 */
function fakeFetch(table) {
  const asked = [];
  const held = new Map();
  const fetchJson = (url) => {
    asked.push(url);
    if (held.has(url)) return new Promise((resolve, reject) => held.get(url).push({ resolve, reject }));
    if (!(url in table)) return Promise.reject(new HttpError(404, 'Not Found', url, ''));
    const value = table[url];
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(structuredClone(value));
  };
  return {
    fetchJson,
    asked,
    hold(url) {
      held.set(url, []);
    },
    release(url) {
      const waiters = held.get(url);
      held.delete(url);
      for (const { resolve } of waiters) resolve(structuredClone(table[url]));
    },
  };
}

/** A view that records what the controller asks it to draw. */
function fakeView({ widthCss = 500, hidden = new Set() } = {}) {
  const calls = [];
  const drawn = new Map();
  const detailTags = new Map();
  return {
    calls,
    widthCss,
    unitsHeightCss: 160,
    of: (name) => calls.filter((call) => call[0] === name).map((call) => call.slice(1)),
    showNotice: (text, kind) => calls.push(['showNotice', text, kind]),
    renderFrame: (frame) => calls.push(['renderFrame', frame]),
    overviewWidthCss() {
      return this.widthCss;
    },
    isVisible: (section, run) => !hidden.has(`${section}:${run}`),
    overviewDrawn: (run) => drawn.has(run),
    showOverviewMessage: (run, text, kind) => calls.push(['showOverviewMessage', run, text, kind]),
    drawOverview(run, answer, view) {
      drawn.set(run, answer);
      calls.push(['drawOverview', run, answer, view]);
    },
    setDiagnosis: (run, result) => calls.push(['setDiagnosis', run, result]),
    detailDrawnTag: (run) => detailTags.get(run) || null,
    showDetailMessage: (run, text, kind) => calls.push(['showDetailMessage', run, text, kind]),
    drawDetail(run, answer, units, view) {
      detailTags.set(run, answer.tag);
      calls.push(['drawDetail', run, answer, units, view]);
    },
    revealDetail: () => calls.push(['revealDetail']),
    setStatus: (run, status) => calls.push(['setStatus', run, status]),
  };
}

function fakeHost() {
  const urls = [];
  let firstPaints = 0;
  return {
    urls,
    firstPaints: () => firstPaints,
    writeUrl: (data) => urls.push(data),
    markFirstPaint: () => {
      firstPaints++;
    },
  };
}

const LONG_OVERVIEW = overview('long', [0, 5000], [4999, 9999], [[0.1, 0.2], [0.3, 0.4]]);
const SHORT_OVERVIEW = overview('short', [0, 50], [49, 99], [[0.5, 0.9]]);

function setUp({ table = {}, view = fakeView(), pxRatio = 2 } = {}) {
  const fetch = fakeFetch({
    'overview?run=long&maxSteps=1000': LONG_OVERVIEW,
    'overview?run=short&maxSteps=10': SHORT_OVERVIEW,
    'overview?run=short&maxSteps=1000': SHORT_OVERVIEW,
    'diagnosis?run=long': { run: 'long', status: 'saturated', findings: [{ cause: 'unknown' }] },
    'diagnosis?run=short': { run: 'short', status: 'healthy', findings: [] },
    ...table,
  });
  const host = fakeHost();
  const controller = createController({ fetchJson: fetch.fetchJson, view, host, pxRatio });
  return { fetch, host, view, controller };
}

/** Lets pending promise callbacks (the diagnoses) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test('start selects the runs the URL names, writes them back and draws their overviews', async () => {
  const { fetch, host, view, controller } = setUp();
  await controller.start(Promise.resolve(RUNS), { runs: '["short","long","gone"]', layer: '' });
  assert.deepEqual(controller.state.selected, ['long', 'short']);
  assert.deepEqual(host.urls, [{ runs: '["long","short"]', layer: null }]);
  assert.deepEqual(
    view.of('drawOverview').map(([run, answer]) => [run, answer]),
    [
      ['long', LONG_OVERVIEW],
      ['short', SHORT_OVERVIEW],
    ],
  );
  assert.equal(host.firstPaints(), 1);
  assert.deepEqual(fetch.asked.slice(0, 2), ['overview?run=long&maxSteps=1000', 'overview?run=short&maxSteps=10']);
});

test('each run asks for as many columns as device pixels of its own share of the step axis', async () => {
  // 500 CSS px at pxRatio 2: the long run (last step 9999) gets 1000 columns,
  // the short one (last step 99) the 1% of the axis it covers: 10.
  const { fetch, controller } = setUp();
  await controller.start(Promise.resolve(RUNS), { runs: '["short","long"]' });
  assert.ok(fetch.asked.includes('overview?run=short&maxSteps=10'));
  await controller.setRunSelected('long', false);
  // Alone, the short run has the whole axis.
  assert.ok(fetch.asked.includes('overview?run=short&maxSteps=1000'));
});

test('every overview is drawn on one step domain and the scale kind of the state', async () => {
  const { view, controller } = setUp();
  await controller.start(Promise.resolve(RUNS), { runs: '["short","long"]' });
  const views = view.of('drawOverview').map(([, , plotView]) => plotView);
  assert.deepEqual(
    views.map(({ domain, scaleKind, pxRatio, selectedLayer }) => ({ domain, scaleKind, pxRatio, selectedLayer })),
    [
      { domain: [0, 10000], scaleKind: 'linear', pxRatio: 2, selectedLayer: null },
      { domain: [0, 10000], scaleKind: 'linear', pxRatio: 2, selectedLayer: null },
    ],
  );
  assert.deepEqual(views[0].server, { limits: LIMITS, activations: {}, causeLabels: {} });
  // Each run's drawing gets its layers from GET runs (gates and outputs).
  assert.deepEqual(views.map((plotView) => plotView.layers), [RUNS.runs[0].layers, RUNS.runs[1].layers]);
});

test('without runs in the URL the first run is selected', async () => {
  const { controller } = setUp();
  await controller.start(Promise.resolve(RUNS), {});
  assert.deepEqual(controller.state.selected, ['long']);
});

test('no runs on the server: the empty notice, no request, the first paint still marked', async () => {
  const { fetch, host, view, controller } = setUp();
  await controller.start(Promise.resolve({ runs: [], limits: LIMITS }), {});
  assert.deepEqual(view.of('showNotice').at(-1), [NO_RUNS_NOTICE, 'empty']);
  assert.deepEqual(fetch.asked, []);
  assert.equal(host.firstPaints(), 1);
});

test('unselecting every run asks the user to select one', async () => {
  const { view, controller } = setUp();
  await controller.start(Promise.resolve(RUNS), {});
  await controller.setRunSelected('long', false);
  assert.deepEqual(view.of('showNotice').at(-1), [NO_SELECTION_NOTICE, 'hint']);
  assert.equal(view.of('renderFrame').at(-1)[0].overviewShown, false);
});

test('a failed list of runs is shown in the notice', async () => {
  const { host, view, controller } = setUp();
  await controller.start(Promise.reject(new Error('503 warming up')), {});
  assert.deepEqual(view.of('showNotice'), [['Could not load the list of runs: 503 warming up', 'error']]);
  assert.equal(host.firstPaints(), 1);
});

test('a redraw reuses the answers it has: the scale toggle fetches nothing', async () => {
  const { fetch, view, controller } = setUp();
  await controller.start(Promise.resolve(RUNS), { runs: '["long"]' });
  await settle();
  const asked = fetch.asked.length;
  await controller.setScaleKind('log');
  assert.equal(fetch.asked.length, asked);
  assert.equal(view.of('drawOverview').at(-1)[2].scaleKind, 'log');
});

test('answers of an older update are not drawn once a newer one started', async () => {
  const { fetch, view, controller } = setUp();
  fetch.hold('overview?run=long&maxSteps=1000');
  const first = controller.start(Promise.resolve(RUNS), { runs: '["long"]' });
  await settle();
  const second = controller.setScaleKind('log');
  fetch.release('overview?run=long&maxSteps=1000');
  await Promise.all([first, second]);
  // Both updates waited on the same answer (fetched once); only the newer one drew it.
  assert.deepEqual(fetch.asked.filter((url) => url.startsWith('overview')), ['overview?run=long&maxSteps=1000']);
  assert.deepEqual(view.of('drawOverview').map(([run, , plotView]) => [run, plotView.scaleKind]), [['long', 'log']]);
});

test('answers the state no longer asks for are forgotten: a wider panel fetches anew', async () => {
  const { fetch, view, controller } = setUp({
    table: { 'overview?run=long&maxSteps=1200': LONG_OVERVIEW },
  });
  await controller.start(Promise.resolve(RUNS), { runs: '["long"]' });
  view.widthCss = 600;
  await controller.update();
  assert.equal(fetch.asked.filter((url) => url === 'overview?run=long&maxSteps=1200').length, 1);
  assert.deepEqual([...controller.state.answers.keys()].sort(), [
    'diagnosis?run=long',
    'overview?run=long&maxSteps=1200',
  ]);
});

test('only the runs the view reports visible are fetched and drawn', async () => {
  const hidden = new Set(['overview:short']);
  const { fetch, view, controller } = setUp({ view: fakeView({ hidden }) });
  await controller.start(Promise.resolve(RUNS), { runs: '["long","short"]' });
  assert.ok(!fetch.asked.some((url) => url.includes('run=short')));
  assert.deepEqual(view.of('drawOverview').map(([run]) => run), ['long']);
  hidden.clear(); // scrolled into view
  await controller.update();
  assert.deepEqual(view.of('drawOverview').slice(1).map(([run]) => run), ['long', 'short']);
});

test('diagnoses are shown as they come: a 404 shows nothing, another failure its reason', async () => {
  const { view, controller } = setUp({
    table: { 'diagnosis?run=short': new HttpError(500, 'Internal Server Error', 'diagnosis?run=short', 'boom') },
  });
  await controller.start(Promise.resolve({ ...RUNS, runs: [...RUNS.runs, { run: 'x', layers: [] }] }), {
    runs: '["long","short","x"]',
  });
  await settle();
  assert.deepEqual(view.of('setDiagnosis'), [
    ['long', { diagnosis: { run: 'long', status: 'saturated', findings: [{ cause: 'unknown' }] } }],
    ['short', { error: '500 Internal Server Error for diagnosis?run=short: boom' }],
    ['x', null],
  ]);
  assert.deepEqual(controller.state.statuses.get('long'), { status: 'saturated', saturated: true });
  assert.equal(controller.state.statuses.get('short'), null); // no diagnosis to tell
});

test('a layer in detail fetches its layer and units answers and shares one distribution scale', async () => {
  const table = {
    'layer?run=long&tag=dense_1&maxSteps=1000': { tag: 'dense_1', histograms: [[1, 3], [2, 2]] },
    'units?run=long&tag=dense_1&maxSteps=1000&maxUnits=320': { units: 4 },
  };
  const { fetch, view, controller } = setUp({ table });
  await controller.start(Promise.resolve(RUNS), { runs: '["long","short"]' });
  await controller.toggleLayer('dense_1');
  assert.ok(fetch.asked.includes('units?run=long&tag=dense_1&maxSteps=1000&maxUnits=320'));
  const [[run, answer, units, plotView]] = view.of('drawDetail');
  assert.deepEqual([run, answer.tag, units, plotView.distributionMax, plotView.domain], [
    'long',
    'dense_1',
    { units: 4 },
    0.75,
    [0, 10000],
  ]);
  assert.deepEqual(plotView.layerInfo, RUNS.runs[0].layers[1]); // the layer's entry in GET runs
  assert.deepEqual(view.of('showDetailMessage').at(-1), ['short', 'This run has no layer named “dense_1”.', 'empty']);
  assert.deepEqual(view.of('revealDetail'), [[]]);
  assert.deepEqual(view.of('renderFrame').at(-1)[0].detailShown, true);
  // The same layer again closes the detail.
  await controller.toggleLayer('dense_1');
  assert.equal(controller.state.layer, null);
  assert.deepEqual(view.of('renderFrame').at(-1)[0].detailShown, false);
});

test('a reload asks everything again, keeps the selection and shows new runs', async () => {
  const { fetch, controller } = setUp({
    table: { runs: { ...RUNS, runs: [...RUNS.runs, { run: 'new', layers: [layer('dense', 9999)] }] } },
  });
  await controller.start(Promise.resolve(RUNS), { runs: '["long"]' });
  const before = fetch.asked.length;
  await controller.reload();
  assert.deepEqual(fetch.asked.slice(before, before + 2), ['runs', 'overview?run=long&maxSteps=1000']);
  assert.deepEqual(controller.state.selected, ['long']);
  assert.deepEqual(controller.state.runs.map((entry) => entry.run), ['long', 'short', 'new']);
});

test('a failed reload keeps the view and says so', async () => {
  const { view, controller } = setUp({ table: { runs: new Error('502 Bad Gateway') } });
  await controller.start(Promise.resolve(RUNS), { runs: '["long"]' });
  await controller.reload();
  assert.deepEqual(view.of('showNotice').at(-1), ['Could not reload the list of runs: 502 Bad Gateway', 'error']);
  assert.deepEqual(controller.state.selected, ['long']);
});

test('loadStatuses learns each run\'s status from its diagnosis, a few requests at a time', async () => {
  const runs = Array.from({ length: 9 }, (_, i) => ({ run: `r${i}`, layers: [layer('dense', 99)] }));
  const table = {};
  for (let i = 0; i < 9; i++) {
    table[`diagnosis?run=r${i}`] = { run: `r${i}`, status: i % 3 ? 'healthy' : 'saturated', findings: i % 3 ? [] : [{}] };
  }
  const { fetch, view, controller } = setUp({ table });
  for (let i = 0; i < 9; i++) fetch.hold(`diagnosis?run=r${i}`);
  await controller.start(Promise.resolve({ runs, limits: LIMITS }), { runs: '["r0"]' });
  // r0 is selected: its panel asked for its diagnosis already.
  controller.loadStatuses(runs.map((entry) => entry.run));
  controller.loadStatuses(['r1', 'r2']); // already asked: not asked again
  const diagnoses = () => fetch.asked.filter((url) => url.startsWith('diagnosis'));
  assert.deepEqual(diagnoses(), [
    'diagnosis?run=r0',
    'diagnosis?run=r1',
    'diagnosis?run=r2',
    'diagnosis?run=r3',
    'diagnosis?run=r4',
  ]);
  fetch.release('diagnosis?run=r1');
  await settle();
  assert.deepEqual(diagnoses().slice(5), ['diagnosis?run=r5']);
  for (const i of [0, 2, 3, 4, 5, 6, 7, 8]) {
    fetch.release(`diagnosis?run=r${i}`);
    await settle();
  }
  assert.equal(diagnoses().length, 9);
  assert.deepEqual(view.of('setStatus').slice(0, 2), [
    ['r1', { status: 'healthy', saturated: false }],
    ['r0', { status: 'saturated', saturated: true }],
  ]);
  assert.equal(controller.state.statuses.size, 9);
  controller.loadStatuses(['r4']); // known: nothing asked
  assert.equal(diagnoses().length, 9);
});
