/**
 * The plugin's HTTP routes (see http_api.md).
 *
 * URLs are relative to the iframe document, whose base is
 * `<tensorboard>/data/plugin/saturation/`, so they keep working under
 * --path_prefix and behind proxies. No caching here: the caller decides.
 */

/** An HTTP answer that was not 2xx. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} statusText
   * @param {string} url
   * @param {string} detail The body of the answer, e.g. the server's reason for a 400.
   */
  constructor(status, statusText, url, detail) {
    super(`${status} ${statusText} for ${url}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpError';
    this.status = status;
    this.url = url;
  }
}

/** Longest part of an error body quoted in a message. */
const MAX_DETAIL_LENGTH = 200;

/**
 * GETs a URL and parses its JSON body.
 * @param {string} url
 * @param {typeof fetch} [fetchImpl] The fetch function (tests pass a fake).
 * @returns {Promise<any>}
 * @throws {HttpError} On a non-2xx answer, naming the status and the URL.
 */
export async function fetchJson(url, fetchImpl = fetch) {
  const response = await fetchImpl(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    let detail = '';
    try {
      detail = (await response.text()).trim().slice(0, MAX_DETAIL_LENGTH);
    } catch {
      detail = '';
    }
    throw new HttpError(response.status, response.statusText, url, detail);
  }
  return response.json();
}

function withQuery(route, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `${route}?${text}` : route;
}

/** @returns {string} URL of GET runs. */
export function runsUrl() {
  return 'runs';
}

/**
 * @param {string} run
 * @param {number} maxSteps
 * @returns {string} URL of GET overview.
 */
export function overviewUrl(run, maxSteps) {
  return withQuery('overview', { run, maxSteps });
}

/**
 * @param {string} run
 * @param {string} tag
 * @param {number} maxSteps
 * @returns {string} URL of GET layer.
 */
export function layerUrl(run, tag, maxSteps) {
  return withQuery('layer', { run, tag, maxSteps });
}

/**
 * @param {string} run
 * @param {string} tag
 * @param {number} maxSteps
 * @param {number} maxUnits
 * @returns {string} URL of GET units.
 */
export function unitsUrl(run, tag, maxSteps, maxUnits) {
  return withQuery('units', { run, tag, maxSteps, maxUnits });
}

/**
 * @param {string} run
 * @returns {string} URL of GET diagnosis.
 */
export function diagnosisUrl(run) {
  return withQuery('diagnosis', { run });
}
