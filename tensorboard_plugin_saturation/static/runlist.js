/**
 * The run picker's list: which runs a filter matches and in which order they
 * are listed. Pure.
 *
 * The filter is a regular expression, case-insensitive, tested anywhere in the
 * run name, as in TensorBoard's own run selector. A pattern that is not a valid
 * regular expression is matched as plain text (and the error is reported), so
 * the list never goes blank while a pattern is being typed.
 */

/**
 * @typedef {Object} RunStatus What the diagnosis said of a run.
 * @property {string} status The server's word for it ("healthy", "saturated").
 * @property {boolean} saturated Whether the diagnosis has findings.
 */

/**
 * The runs a filter matches, in the given order.
 * @param {string[]} names
 * @param {string} pattern Empty matches every run.
 * @returns {{matches: string[], error: ?string}} error: why the pattern is not a regular expression.
 */
export function matchRuns(names, pattern) {
  if (!pattern) return { matches: names.slice(), error: null };
  let regex;
  let error = null;
  try {
    regex = new RegExp(pattern, 'i');
  } catch (caught) {
    error = caught.message;
    const text = pattern.toLowerCase();
    return { matches: names.filter((name) => name.toLowerCase().includes(text)), error };
  }
  return { matches: names.filter((name) => regex.test(name)), error };
}

/** Rank of a run when sorting by status: saturated first, then healthy, then not known yet. */
function statusRank(status) {
  if (!status) return 2;
  return status.saturated ? 0 : 1;
}

/**
 * Orders runs by name, or by status (saturated first, then healthy, then not
 * known yet; by name within each).
 * @param {string[]} names
 * @param {'name'|'status'} by
 * @param {Map<string, ?RunStatus>} statuses
 * @returns {string[]} A new array.
 */
export function sortRuns(names, by, statuses) {
  const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  if (by === 'name') return names.slice().sort(byName);
  if (by === 'status') {
    return names
      .slice()
      .sort((a, b) => statusRank(statuses.get(a)) - statusRank(statuses.get(b)) || byName(a, b));
  }
  throw new RangeError(`runs sort by 'name' or 'status'; got ${JSON.stringify(by)}`);
}

/**
 * The state of the "all matching" checkbox.
 * @param {string[]} matches
 * @param {Set<string>} selected
 * @returns {'all'|'some'|'none'}
 */
export function matchingSelection(matches, selected) {
  const count = matches.filter((name) => selected.has(name)).length;
  if (count === 0) return 'none';
  return count === matches.length ? 'all' : 'some';
}
