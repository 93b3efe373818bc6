/**
 * Theme helpers. Pure: the DOM side (reading the host page, computed styles)
 * lives in host.js and app_view.js.
 *
 * Colours are defined once, as CSS custom properties in style.css (light on
 * :root, dark on :root.dark); canvases read the ones below.
 */

/** Canvas colour name -> CSS custom property holding it. */
export const CANVAS_COLOR_PROPERTIES = Object.freeze({
  unknown: '--sat-unknown',
  line: '--sat-line',
  grid: '--sat-grid',
  nonfinite: '--sat-nonfinite',
});

/**
 * The canvas colours of the current theme.
 * @param {function(string): string} readProperty CSS custom property -> its value.
 * @returns {{unknown: string, line: string, grid: string, nonfinite: string}}
 */
export function canvasColors(readProperty) {
  const colors = {};
  for (const [name, property] of Object.entries(CANVAS_COLOR_PROPERTIES)) colors[name] = readProperty(property).trim();
  return colors;
}

/**
 * Rewrites the relative url(...) references of a CSS text against a base URL,
 * so that TensorBoard's @font-face rules (written relative to its own page)
 * can be reused inside the plugin's iframe.
 * @param {string} cssText
 * @param {string} baseUrl Absolute URL the references are relative to.
 * @returns {string}
 */
export function rebaseCssUrls(cssText, baseUrl) {
  return cssText.replace(/url\(\s*(['"]?)([^'")]+)\1\s*\)/g, (match, quote, reference) => {
    if (/^(data|blob):/i.test(reference)) return match;
    try {
      return `url("${new URL(reference, baseUrl).href}")`;
    } catch {
      return match;
    }
  });
}
