/**
 * The tab's view in the URL, so that a link reproduces it. Pure.
 *
 * TensorBoard keeps its state in the URL hash as `#TAB&key=value&...` with
 * URI-encoded keys and values, and hands a plugin the keys `p.PLUGIN.NAME`
 * through the `experimental.GetURLPluginData` message. The tab stores:
 *   p.saturation.runs  = JSON array of the selected run names (any characters are safe)
 *   p.saturation.layer = the tag of the layer shown in detail
 */

/**
 * @typedef {Object} ParsedHash
 * @property {?string} tab The bare first segment (the active dashboard), or null.
 * @property {Array<Array<string>>} params [key, value] pairs in order, decoded.
 */

/**
 * Parses a URL hash the way TensorBoard does.
 * @param {string} hash With or without the leading "#".
 * @returns {ParsedHash}
 */
export function parseHash(hash) {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  let tab = null;
  const params = [];
  for (const segment of body.split('&')) {
    if (!segment) continue;
    const parts = segment.split('=');
    if (parts.length === 1) {
      tab = safeDecode(parts[0]);
    } else if (parts.length === 2) {
      params.push([safeDecode(parts[0]), safeDecode(parts[1])]);
    }
  }
  return { tab, params };
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Formats a parsed hash back into "#tab&key=value".
 * @param {ParsedHash} parsed
 * @returns {string} "" when there is neither tab nor parameter.
 */
export function formatHash({ tab, params }) {
  const segments = [];
  if (tab) segments.push(encodeURIComponent(tab));
  for (const [key, value] of params) segments.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  return segments.length ? `#${segments.join('&')}` : '';
}

/**
 * The plugin's keys in a hash, without their prefix: what GetURLPluginData answers.
 * @param {string} hash
 * @param {string} pluginName
 * @returns {Object<string, string>}
 */
export function pluginDataFromHash(hash, pluginName) {
  const prefix = `p.${pluginName}.`;
  const data = {};
  for (const [key, value] of parseHash(hash).params) {
    if (key.startsWith(prefix)) data[key.slice(prefix.length)] = value;
  }
  return data;
}

/**
 * A hash with the plugin's keys replaced by `data`; other keys and the tab are kept.
 * @param {string} hash
 * @param {string} pluginName
 * @param {Object<string, ?string>} data Entries that are null or "" are left out.
 * @returns {string}
 */
export function hashWithPluginData(hash, pluginName, data) {
  const prefix = `p.${pluginName}.`;
  const { tab, params } = parseHash(hash);
  const kept = params.filter(([key]) => !key.startsWith(prefix));
  for (const [key, value] of Object.entries(data)) {
    if (value !== null && value !== undefined && value !== '') kept.push([prefix + key, value]);
  }
  return formatHash({ tab, params: kept });
}

/**
 * @typedef {Object} ViewState
 * @property {?string[]} runs Selected runs; null when the URL does not say.
 * @property {?string} layer Tag of the layer shown in detail, or null.
 */

/**
 * Reads the view from the plugin's URL data; malformed entries are ignored.
 * @param {Object<string, string>} data
 * @returns {ViewState}
 */
export function viewStateFromData(data) {
  let runs = null;
  if (typeof data.runs === 'string') {
    try {
      const parsed = JSON.parse(data.runs);
      if (Array.isArray(parsed)) runs = parsed.filter((run) => typeof run === 'string');
    } catch {
      runs = null;
    }
  }
  const layer = typeof data.layer === 'string' && data.layer ? data.layer : null;
  return { runs, layer };
}

/**
 * The plugin's URL data for a view.
 * @param {{runs: string[], layer: ?string}} view
 * @returns {{runs: string, layer: ?string}}
 */
export function dataFromViewState({ runs, layer }) {
  return { runs: JSON.stringify(runs), layer: layer || null };
}
