/**
 * Text for numbers, steps and lists, the same everywhere in the tab. Pure.
 */

/**
 * A share as a percentage.
 * @param {number} share 0..1
 * @param {number} [digits=1] Decimals of the percentage.
 * @returns {string} e.g. "69.1%".
 */
export function formatPercent(share, digits = 1) {
  return `${(share * 100).toFixed(digits)}%`;
}

/**
 * A share exactly as the server sent it, then as a percentage (tooltips).
 * @param {?number} share
 * @returns {string} e.g. "0.6912 (69.12%)", or "no data" for null.
 */
export function formatShare(share) {
  if (share === null || share === undefined || Number.isNaN(share)) return 'no data';
  return `${share} (${formatPercent(share, 2)})`;
}

/**
 * The steps a heatmap column covers.
 * @param {number} first
 * @param {number} last
 * @returns {string} "step 120" or "steps 120–179".
 */
export function formatStepRange(first, last) {
  return first === last ? `step ${first}` : `steps ${first}–${last}`;
}

/**
 * A compact axis label: integers in full below 10,000, then with k or M;
 * other numbers to three significant digits.
 * @param {number} value
 * @returns {string} e.g. "250", "12.5k", "2M", "0.0156", "1.18e-38".
 */
export function formatTick(value) {
  const magnitude = Math.abs(value);
  if (Number.isInteger(value)) {
    if (magnitude >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
    if (magnitude >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
    return String(value);
  }
  return String(Number(value.toPrecision(3)));
}

/**
 * A legend label for a share.
 * @param {number} share
 * @returns {string} e.g. "0.1%", "25%", "100%".
 */
export function formatPercentTick(share) {
  return `${Number((share * 100).toPrecision(3))}%`;
}

/**
 * A short English list.
 * @param {string[]} items
 * @param {number} [max=3] Items named before "and N more".
 * @returns {string} "a", "a and b", "a, b and c", "a, b, c and 2 more".
 */
export function formatList(items, max = 3) {
  if (items.length <= 1) return items.join('');
  if (items.length > max) return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * A count with its noun, singular or plural.
 * @param {number} count
 * @param {string} singular
 * @param {string} [plural] Default: singular + "s".
 * @returns {string} e.g. "1 layer", "4 layers".
 */
export function formatCount(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}
