/**
 * The toolbar: run picker, linear/log toggle and colour legends.
 */

import { PALETTE_ANCHORS, rgbCss } from './colormap.js';
import { h, replaceChildren } from './dom.js';
import { formatCount } from './format.js';
import { legendTicks } from './scales.js';

/** CSS gradient of the palette, left (low) to right (high). */
const PALETTE_GRADIENT = `linear-gradient(to right, ${PALETTE_ANCHORS.map(
  (rgb, i) => `${rgbCss(rgb)} ${((i / (PALETTE_ANCHORS.length - 1)) * 100).toFixed(2)}%`,
).join(', ')})`;

/**
 * The run picker: one checkbox per run.
 * @param {{onToggle: function(string, boolean): void, onSelect: function(string[]): void}} callbacks
 *     onToggle: a run and its new state; onSelect: select exactly these runs.
 * @returns {{element: HTMLElement, setRuns: function(Array<{run: string, layers: Array}>, string[]): void}}
 */
export function createRunPicker({ onToggle }) {
  const list = h('div', { className: 'run-list' });
  const element = h('fieldset', { className: 'run-picker' }, [h('legend', { text: 'Runs' }), list]);
  return {
    element,
    setRuns(runs, selected) {
      const chosen = new Set(selected);
      replaceChildren(
        list,
        runs.map(({ run, layers }) => {
          const box = h('input', { type: 'checkbox', checked: chosen.has(run) });
          box.addEventListener('change', () => onToggle(run, box.checked));
          return h('label', { className: 'run-choice', title: run }, [
            box,
            h('span', { className: 'run-name', text: run }),
            h('span', { className: 'run-meta', text: formatCount(layers.length, 'layer') }),
          ]);
        }),
      );
    },
  };
}

/**
 * Two buttons choosing a linear or logarithmic colour scale.
 * @param {function('linear'|'log'): void} onChange
 * @returns {{element: HTMLElement, setKind: function('linear'|'log'): void}}
 */
export function createScaleToggle(onChange) {
  const buttons = ['linear', 'log'].map((kind) =>
    h('button', {
      type: 'button',
      className: 'toggle',
      'data-kind': kind,
      text: kind === 'log' ? 'Log' : 'Linear',
      onClick: () => onChange(kind),
    }),
  );
  const element = h('div', { className: 'scale-toggle', role: 'group', 'aria-label': 'Colour scale' }, [
    h('span', { className: 'control-label', text: 'Colour scale' }),
    ...buttons,
  ]);
  return {
    element,
    setKind(kind) {
      for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.kind === kind));
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
