/**
 * The Saturation tab. TensorBoard loads this module in the plugin's iframe
 * and calls `render()` once.
 *
 * Wiring only, as TensorBoard's example raw_scalars plugin: the host adapter
 * (host.js: TensorBoard's IPC, URL, theme, resize), the page (app_view.js)
 * and the controller that holds the state and draws through the page
 * (controller.js).
 */

import { fetchJson, runsUrl } from './api.js';
import { createAppView } from './app_view.js';
import { createController } from './controller.js';
import { createHost } from './host.js';

const PLUGIN_NAME = 'saturation';

/**
 * Renders the tab into the iframe's document.
 * @returns {Promise<void>} Resolves once the first view is drawn.
 */
export async function render() {
  const host = createHost(PLUGIN_NAME);
  host.markStart();
  // The list of runs is the first thing the tab waits for: ask before anything else.
  const runs = fetchJson(runsUrl());
  runs.catch(() => {}); // shown by the controller
  const stylesheet = host.loadStylesheet('./style.css', import.meta.url);
  host.adoptFonts();

  let controller = null;
  const view = createAppView(document.body, {
    toggleRun: (run, selected) => controller.setRunSelected(run, selected),
    selectRuns: (names) => controller.selectRuns(names),
    toggleLayer: (layer) => controller.toggleLayer(layer),
    setScaleKind: (kind) => controller.setScaleKind(kind),
    panelsNeeded: () => controller.update(),
    loadStatuses: (runs) => controller.loadStatuses(runs),
  });
  controller = createController({ fetchJson, view, host, pxRatio: host.pxRatio() });

  let ready = false;
  host.watchTheme(() => {
    if (ready) controller.update();
  });
  view.showNotice('Loading runs…', 'loading');
  const [urlData] = await Promise.all([host.readUrlData(), stylesheet]);
  ready = true;
  host.watchPixelRatio((ratio) => controller.setPxRatio(ratio));
  await controller.start(runs, urlData);
  // Listening only now keeps a reload from racing the first load.
  host.onReload(() => controller.reload());
  host.watchWidth(view.widthElement, () => controller.update());
}
