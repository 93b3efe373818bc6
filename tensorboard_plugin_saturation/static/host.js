/**
 * The host adapter: everything the tab asks of TensorBoard's page and of the
 * browser around the iframe. TensorBoard's IPC (reload broadcasts, URL data),
 * its URL hash, its dark mode and fonts, the device pixel ratio, resizes and
 * performance marks. Nothing here knows about runs or plots.
 */

import { MESSAGE_TYPES, connectToHost } from './ipc.js';
import { h } from './dom.js';
import { rebaseCssUrls } from './theme.js';
import { hashWithPluginData, parseHash, pluginDataFromHash } from './urlstate.js';

/** Performance marks: render() started; the overview of every visible selected run is drawn. */
export const RENDER_START_MARK = 'saturation-render-start';
export const FIRST_PAINT_MARK = 'saturation-first-paint';
/** Longest wait for TensorBoard to hand over the URL state. */
const URL_DATA_TIMEOUT_MS = 1000;
const RESIZE_DEBOUNCE_MS = 150;

/**
 * Connects to the TensorBoard page holding the iframe (or to nothing, when
 * the tab is opened on its own).
 * @param {string} pluginName
 */
export function createHost(pluginName) {
  const connection = window.parent !== window ? connectToHost(window.parent) : null;
  let urlData = null;
  let firstPaintMarked = false;

  /** Puts the plugin's data into TensorBoard's URL while the plugin's tab is the one shown there. */
  function writeUrl(data) {
    urlData = data;
    for (const target of [window.parent, window]) {
      try {
        const url = new URL(target.location.href);
        if (target !== window && parseHash(url.hash).tab !== pluginName) return;
        const hash = hashWithPluginData(url.hash, pluginName, data);
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

  try {
    // Coming back to the tab, TensorBoard writes "#saturation" alone: put the view back.
    window.parent.addEventListener('hashchange', () => {
      if (urlData) writeUrl(urlData);
    });
  } catch {
    // Not same-origin.
  }

  return {
    writeUrl,

    markStart() {
      performance.mark(RENDER_START_MARK);
    },

    markFirstPaint() {
      if (firstPaintMarked) return;
      firstPaintMarked = true;
      performance.mark(FIRST_PAINT_MARK);
      performance.measure(FIRST_PAINT_MARK, RENDER_START_MARK, FIRST_PAINT_MARK);
    },

    /**
     * The plugin's URL state: the `p.NAME.*` keys of TensorBoard's URL hash (of
     * our own URL when the tab is opened outside TensorBoard). Read directly
     * from the host page, which is same-origin; TensorBoard 2.21 answers
     * GetURLPluginData with {} because its own hash storage is off, so the
     * message is only sent when the host page cannot be read.
     * @returns {Promise<Object<string, string>>}
     */
    async readUrlData() {
      try {
        return pluginDataFromHash(window.parent.location.hash, pluginName);
      } catch {
        // The host page is not same-origin: ask TensorBoard below.
      }
      if (connection) {
        try {
          const data = await connection.sendMessage(MESSAGE_TYPES.GET_URL_DATA, { pluginName }, URL_DATA_TIMEOUT_MS);
          if (data && typeof data === 'object') return data;
        } catch {
          // No answer: start from the default view.
        }
      }
      return {};
    },

    /** Calls `onReload` when TensorBoard reloads its data (the reload button, auto-reload). */
    onReload(onReload) {
      if (connection) connection.listen(MESSAGE_TYPES.DATA_RELOADED, () => void onReload());
    },

    /** @returns {number} The current device pixel ratio. */
    pxRatio() {
      return window.devicePixelRatio || 1;
    },

    /** Calls `onChange` when devicePixelRatio changes (zoom, moving to another screen). */
    watchPixelRatio(onChange) {
      const arm = () => {
        window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener(
          'change',
          () => {
            arm();
            onChange(window.devicePixelRatio || 1);
          },
          { once: true },
        );
      };
      arm();
    },

    /**
     * Follows TensorBoard's dark mode (the host's body.dark-mode), or the
     * system's preference when the host cannot be read; toggles :root.dark.
     */
    watchTheme(onChange) {
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
    },

    /** Calls `onChange` (debounced) when the element's width changes. */
    watchWidth(element, onChange) {
      let width = element.clientWidth;
      let timer = null;
      new ResizeObserver(() => {
        if (element.clientWidth === width) return;
        width = element.clientWidth;
        clearTimeout(timer);
        timer = setTimeout(onChange, RESIZE_DEBOUNCE_MS);
      }).observe(element);
    },

    /** Loads a stylesheet next to `moduleUrl`; resolves when it applied (or failed). */
    loadStylesheet(name, moduleUrl) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = new URL(name, moduleUrl).href;
      const loaded = new Promise((resolve) => {
        link.addEventListener('load', resolve);
        link.addEventListener('error', resolve);
      });
      document.head.append(link);
      return loaded;
    },

    /** Reuses TensorBoard's Roboto @font-face rules in the iframe, so that the tab's text matches the host. */
    adoptFonts() {
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
    },
  };
}
