/**
 * The toolbar: run picker, linear/log toggle and colour legends.
 */

import { PALETTE_ANCHORS, rgbCss } from './colormap.js';
import { h, replaceChildren } from './dom.js';
import { formatCount } from './format.js';
import { matchRuns, matchingSelection, sortRuns } from './runlist.js';
import { legendTicks } from './scales.js';

/** CSS gradient of the palette, left (low) to right (high). */
const PALETTE_GRADIENT = `linear-gradient(to right, ${PALETTE_ANCHORS.map(
  (rgb, i) => `${rgbCss(rgb)} ${((i / (PALETTE_ANCHORS.length - 1)) * 100).toFixed(2)}%`,
).join(', ')})`;

/** How long the filter waits after a keystroke before it filters (a list of hundreds of runs). */
const FILTER_DEBOUNCE_MS = 120;

/**
 * The run picker for any number of runs: a regular-expression filter (as
 * TensorBoard's run selector), a checkbox selecting every matching run, sort
 * by name or by status (saturated first), and one row per run with its status.
 * Statuses are asked for (`onStatusesNeeded`) for the rows scrolled into view
 * in the list, and for every run when sorting by status.
 * @param {{onToggle: function(string, boolean): void, onSelect: function(string[]): void,
 *     onStatusesNeeded: function(string[]): void}} callbacks
 *     onToggle: a run and its new state; onSelect: select exactly these runs.
 * @returns {{element: HTMLElement,
 *     setRuns: function(Array<{run: string, layers: Array}>, string[], Map<string, ?Object>): void,
 *     setStatus: function(string, ?{status: string, saturated: boolean}): void}}
 */
export function createRunPicker({ onToggle, onSelect, onStatusesNeeded }) {
  const filter = h('input', {
    type: 'search',
    className: 'run-filter',
    placeholder: 'Filter runs (regular expression)',
    'aria-label': 'Filter runs by regular expression',
    spellcheck: 'false',
  });
  const allBox = h('input', { type: 'checkbox', className: 'run-all-box' });
  const allLabel = h('span', { className: 'run-all-text' });
  const all = h('label', { className: 'run-all', title: 'Select or unselect every run the filter matches' }, [
    allBox,
    allLabel,
  ]);
  const sort = createToggleGroup({
    className: 'run-sort',
    label: 'Sort',
    ariaLabel: 'Sort runs',
    key: 'sort',
    choices: [
      ['name', 'Name'],
      ['status', 'Status'],
    ],
    onChoose: (by) => setSort(by),
  });
  const count = h('span', { className: 'run-count', role: 'status' });
  const error = h('p', { className: 'run-filter-error', hidden: true });
  const list = h('div', { className: 'run-list', role: 'list' });
  const element = h('fieldset', { className: 'run-picker' }, [
    h('legend', { text: 'Runs' }),
    h('div', { className: 'run-tools' }, [filter, all, sort.element, count]),
    error,
    list,
  ]);

  let runs = [];
  let chosen = new Set();
  let statuses = new Map();
  let sortBy = 'name';
  let matches = [];
  const rows = new Map(); // run -> {element, box, status}
  const inView = new Set(); // runs whose rows are in the list's visible area

  const rowObserver = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const run = entry.target.dataset.run;
        if (entry.isIntersecting) inView.add(run);
        else inView.delete(run);
      }
      askVisibleStatuses();
    },
    { root: list },
  );

  function askVisibleStatuses() {
    const unknown = [...inView].filter((run) => !statuses.has(run));
    if (unknown.length) onStatusesNeeded(unknown);
  }

  function rowOf({ run, layers }) {
    const box = h('input', { type: 'checkbox' });
    box.addEventListener('change', () => onToggle(run, box.checked));
    const status = h('span', { className: 'run-status' });
    const element = h('label', { className: 'run-choice', title: run, role: 'listitem', 'data-run': run }, [
      box,
      h('span', { className: 'run-name', text: run }),
      h('span', { className: 'run-meta', text: formatCount(layers.length, 'layer') }),
      status,
    ]);
    rowObserver.observe(element);
    return { element, box, status };
  }

  function showStatus(run) {
    const row = rows.get(run);
    if (!row) return;
    const known = statuses.get(run);
    row.status.textContent = known ? known.status : '';
    row.status.className = known ? `run-status ${known.saturated ? 'saturated' : 'healthy'}` : 'run-status';
  }

  /** Lists the matching runs in order and updates the checkboxes and the counts. */
  function refresh() {
    const names = runs.map((entry) => entry.run);
    const found = matchRuns(names, filter.value);
    matches = sortRuns(found.matches, sortBy, statuses);
    error.textContent = found.error ? `Not a regular expression (${found.error}); matching it as text.` : '';
    error.hidden = !found.error;
    replaceChildren(
      list,
      matches.map((run) => rows.get(run).element),
    );
    for (const [run, row] of rows) row.box.checked = chosen.has(run);
    const state = matchingSelection(matches, chosen);
    allBox.checked = state === 'all';
    allBox.indeterminate = state === 'some';
    allBox.disabled = !matches.length;
    allLabel.textContent = filter.value ? `All ${matches.length} matching` : `All ${matches.length}`;
    count.textContent = `${chosen.size} of ${names.length} selected`;
    sort.setPressed(sortBy);
  }

  function setSort(by) {
    sortBy = by;
    if (by === 'status') onStatusesNeeded(runs.map((entry) => entry.run).filter((run) => !statuses.has(run)));
    refresh();
  }

  let filterTimer = null;
  filter.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(refresh, FILTER_DEBOUNCE_MS);
  });
  allBox.addEventListener('change', () => {
    const matching = new Set(matches);
    const keep = runs.map((entry) => entry.run).filter((run) => chosen.has(run) && !matching.has(run));
    onSelect(allBox.checked ? [...keep, ...matches] : keep);
  });

  let resort = false;
  return {
    element,
    setRuns(entries, selected, knownStatuses) {
      if (entries !== runs) {
        const names = new Set(entries.map((entry) => entry.run));
        for (const [run, row] of rows) {
          if (names.has(run)) continue;
          rowObserver.unobserve(row.element);
          rows.delete(run);
          inView.delete(run);
        }
        for (const entry of entries) if (!rows.has(entry.run)) rows.set(entry.run, rowOf(entry));
        runs = entries;
      }
      chosen = new Set(selected);
      statuses = new Map(knownStatuses);
      for (const run of rows.keys()) showStatus(run);
      refresh();
      askVisibleStatuses();
    },
    setStatus(run, status) {
      statuses.set(run, status);
      showStatus(run);
      // Sorted by status, the list follows the statuses as they come (once per frame).
      if (sortBy !== 'status' || resort) return;
      resort = true;
      requestAnimationFrame(() => {
        resort = false;
        refresh();
      });
    },
  };
}

/**
 * Two buttons choosing a linear or logarithmic colour scale.
 * @param {function('linear'|'log'): void} onChange
 * @returns {{element: HTMLElement, setKind: function('linear'|'log'): void}}
 */
export function createScaleToggle(onChange) {
  const group = createToggleGroup({
    className: 'scale-toggle',
    label: 'Colour scale',
    ariaLabel: 'Colour scale',
    key: 'kind',
    choices: [
      ['linear', 'Linear'],
      ['log', 'Log'],
    ],
    onChoose: onChange,
  });
  return { element: group.element, setKind: group.setPressed };
}

/**
 * A labelled group of toggle buttons, one pressed at a time (`setPressed`).
 * Each button carries its value as `data-<key>`.
 * @param {{className: string, label: string, ariaLabel: string, key: string,
 *     choices: Array<Array<string>>, onChoose: function(string): void}} options
 *     choices: [value, button text] pairs.
 * @returns {{element: HTMLElement, setPressed: function(string): void}}
 */
function createToggleGroup({ className, label, ariaLabel, key, choices, onChoose }) {
  const buttons = choices.map(([value, text]) =>
    h('button', { type: 'button', className: 'toggle', [`data-${key}`]: value, text, onClick: () => onChoose(value) }),
  );
  const element = h('div', { className: `toggle-group ${className}`, role: 'group', 'aria-label': ariaLabel }, [
    h('span', { className: 'control-label', text: label }),
    ...buttons,
  ]);
  return {
    element,
    setPressed(value) {
      for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset[key] === value));
    },
  };
}

/**
 * A colour legend: the palette as a bar with value ticks, and the unknown colour.
 * @param {string} className
 * @returns {{element: HTMLElement, update: function(Object, string, function(number): string): void}}
 */
export function createLegend(className) {
  const title = h('span', { className: 'legend-title' });
  const ticks = h('div', { className: 'legend-ticks' });
  const bar = h('div', { className: 'legend-bar', style: { backgroundImage: PALETTE_GRADIENT } });
  const unknown = h('span', { className: 'legend-unknown' }, [h('span', { className: 'swatch' }), 'no data']);
  const element = h('div', { className: `legend ${className}` }, [
    title,
    h('div', { className: 'legend-scale' }, [bar, ticks]),
    unknown,
  ]);
  return {
    element,
    /**
     * @param {{kind: string, lo: number, hi: number, position: function}} scale
     * @param {string} text Legend title.
     * @param {function(number): string} format Tick label.
     */
    update(scale, text, format) {
      title.textContent = text;
      replaceChildren(
        ticks,
        legendTicks(scale, 4).map(({ value, position }) =>
          h('span', {
            className: 'legend-tick',
            style: { left: `${(position * 100).toFixed(3)}%` },
            text: format(value),
          }),
        ),
      );
    },
  };
}
