import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  activationFacts,
  causeLabel,
  distributionGrid,
  findingMarks,
  foldColumns,
  layerRows,
  maxValue,
  nonfiniteSteps,
  outOfRangeSteps,
  reconcileSelection,
  requestedColumns,
  runLastStep,
  runShare,
  serverInfo,
  stuckSummary,
  unitGroup,
  unitsGrid,
} from '../../tensorboard_plugin_saturation/static/model.js';

const LABELS = { initialization: 'Initialization', unknown: 'Unknown' };

test('causeLabel names a cause as the server labels it and passes others through', () => {
  assert.equal(causeLabel('initialization', LABELS), 'Initialization');
  assert.equal(causeLabel('unknown', LABELS), 'Unknown');
  assert.equal(causeLabel('batch_norm', LABELS), 'batch_norm');
  assert.equal(causeLabel('toString', LABELS), 'toString');
});

test('activationFacts gives what the server says of an activation', () => {
  const relu = {
    low: 0, high: null, maxDerivative: 1, saturatedLabel: 'dead', lowLabel: 'zero', highLabel: null,
    stuckLabel: 'dead', description: 'relu: off (dead) when y == 0',
  };
  assert.deepEqual(activationFacts({ activations: { relu } }, 'relu'), relu);
});

test('activationFacts of an activation the server did not describe has no derivative ceiling', () => {
  assert.deepEqual(activationFacts({ activations: {} }, 'gelu'), {
    maxDerivative: null,
    saturatedLabel: 'saturated',
    lowLabel: null,
    highLabel: null,
    stuckLabel: 'stuck',
    description: '',
  });
  assert.equal(activationFacts({ activations: {} }, 'constructor').maxDerivative, null);
});

test('outOfRangeSteps lists the steps with values outside the range and their share', () => {
  assert.deepEqual(outOfRangeSteps([0, 10, 20], [0, 0.25, null]), [{ step: 10, share: 0.25 }]);
});

test('requestedColumns asks for one column per device pixel, within the route limit', () => {
  assert.equal(requestedColumns(600, 1, 10000), 600);
  assert.equal(requestedColumns(600.4, 2, 10000), 1201);
  assert.equal(requestedColumns(0, 2, 10000), 1);
  assert.equal(requestedColumns(8000, 2, 10000), 10000);
});

test('runLastStep is the largest maxStep of a run\'s layers', () => {
  assert.equal(runLastStep({ layers: [{ maxStep: 90 }, { maxStep: 120 }, { maxStep: null }] }), 120);
  assert.equal(runLastStep({ layers: [{ maxStep: null }] }), null);
  assert.equal(runLastStep(null), null);
});

test('runShare is the share of the step axis from 0 to the last step a run covers', () => {
  assert.equal(runShare(99, 9999), 0.01);
  assert.equal(runShare(9999, 9999), 1);
  assert.equal(runShare(0, 9), 0.1);
  assert.equal(runShare(-5, 9), 0.1); // at least one step
  assert.equal(runShare(null, 9999), 1);
  assert.equal(runShare(5, null), 1);
});

test('serverInfo keeps the limits and the activations of GET runs', () => {
  const activations = { relu: { maxDerivative: 1 } };
  assert.deepEqual(serverInfo({ runs: [], limits: { maxSteps: 3, maxUnits: 4 }, activations }), {
    limits: { maxSteps: 3, maxUnits: 4 },
    activations,
    causeLabels: {},
  });
  assert.deepEqual(serverInfo({ runs: [], limits: { maxSteps: 3, maxUnits: 4 } }).activations, {});
  assert.deepEqual(serverInfo({ runs: [], limits: {}, causeLabels: LABELS }).causeLabels, LABELS);
});

test('foldColumns keeps columns that are at least a pixel wide as they are', () => {
  assert.deepEqual(foldColumns([0, 2, 5], [[0.1, 0.2]]), { colEdges: [0, 2, 5], rows: [[0.1, 0.2]], groups: [0, 1] });
});

test('foldColumns folds zero-width columns into the next drawn column, keeping the maximum', () => {
  const folded = foldColumns(Int32Array.from([0, 0, 0, 3, 3, 5]), [
    [0.1, 0.9, 0.2, null, 0.4],
    [null, null, null, null, null],
  ]);
  assert.deepEqual(folded, {
    colEdges: [0, 3, 5],
    rows: [
      [0.9, 0.4],
      [null, null],
    ],
    groups: [0, 3],
  });
});

test('foldColumns folds zero-width columns at the end into the last drawn column', () => {
  assert.deepEqual(foldColumns([0, 2, 4, 4, 4], [[0.1, 0.2, 0.7, 0.3]]), {
    colEdges: [0, 2, 4],
    rows: [[0.1, 0.7]],
    groups: [0, 1],
  });
});

test('reconcileSelection keeps the wanted runs that exist, in server order', () => {
  assert.deepEqual(reconcileSelection(['c', 'gone', 'a'], ['a', 'b', 'c'], true), ['a', 'c']);
});

test('reconcileSelection falls back to the first run only when asked', () => {
  assert.deepEqual(reconcileSelection(['gone'], ['a', 'b'], true), ['a']);
  assert.deepEqual(reconcileSelection([], ['a', 'b'], false), []);
  assert.deepEqual(reconcileSelection([], [], true), []);
});

test('maxValue ignores nulls and is 0 for an empty grid', () => {
  assert.equal(maxValue([[0.1, null], [0.7, 0.3]]), 0.7);
  assert.equal(maxValue([[null]]), 0);
  assert.equal(maxValue([]), 0);
});

test('distributionGrid normalises each step and puts the highest bin on top', () => {
  const grid = distributionGrid([
    [1, 1, 2],
    [0, 3, 1],
  ]);
  assert.deepEqual(grid, [
    [0.5, 0.25],
    [0.25, 0.75],
    [0.25, 0],
  ]);
});

test('distributionGrid leaves a step without finite values unknown', () => {
  assert.deepEqual(distributionGrid([[0, 0], [2, 2]]), [[null, 0.5], [null, 0.5]]);
  assert.deepEqual(distributionGrid([]), []);
});

test('unitsGrid turns [column][group] counts into [group][column] shares', () => {
  assert.deepEqual(unitsGrid([[255, 51], [102, 0]], 255), [[1, 0.4], [0.2, 0]]);
  assert.deepEqual(unitsGrid([], 255), []);
});

test('unitGroup gives the sorted positions and unit indices of a group', () => {
  const order = [17, 3, 9, 0, 5];
  assert.deepEqual(unitGroup(order, [0, 2, 4], 0), { first: 1, last: 2, units: [17, 3] });
  assert.deepEqual(unitGroup(order, [0, 2, 4], 2), { first: 5, last: 5, units: [5] });
});

test('nonfiniteSteps lists the steps with NaN or Inf and their counts', () => {
  assert.deepEqual(nonfiniteSteps([0, 10, 20, 30], [0, 3, null, 1]), [
    { step: 10, count: 3 },
    { step: 30, count: 1 },
  ]);
  assert.deepEqual(nonfiniteSteps([0], [0]), []);
});

test('stuckSummary reports the last and the peak count of stuck units', () => {
  assert.deepEqual(stuckSummary([0, 10, 20, 30], [0, 5, 2, null]), {
    last: 2,
    lastStep: 20,
    peak: 5,
    peakStep: 10,
  });
});

test('stuckSummary keeps the first step of a tied peak, and is null without data', () => {
  assert.deepEqual(stuckSummary([0, 10], [4, 4]), { last: 4, lastStep: 10, peak: 4, peakStep: 0 });
  assert.equal(stuckSummary([0, 10], [null, null]), null);
  assert.equal(stuckSummary([], []), null);
});

test('findingMarks groups onsets by step and collects the causes of each layer', () => {
  const marks = findingMarks([
    { cause: 'learning_rate', layers: ['dense_1'], step: 120 },
    { cause: 'initialization', layers: ['dense', 'dense_1'], step: 0 },
    { cause: 'unknown', layers: [], step: 120 },
    { cause: 'input_scaling', layers: ['dense'], step: null },
  ]);
  assert.deepEqual(marks.onsets, [
    { step: 0, causes: ['initialization'] },
    { step: 120, causes: ['learning_rate', 'unknown'] },
  ]);
  assert.deepEqual([...marks.layers], [
    ['dense_1', ['learning_rate', 'initialization']],
    ['dense', ['initialization', 'input_scaling']],
  ]);
});

test('layerRows keeps ungrouped layers in network order', () => {
  assert.deepEqual(layerRows(['a', 'b'], []), [
    { index: 0, tag: 'a', label: 'a', group: null, gate: null, output: false, groupStart: false, groupEnd: false },
    { index: 1, tag: 'b', label: 'b', group: null, gate: null, output: false, groupStart: false, groupEnd: false },
  ]);
});

test('layerRows gathers a recurrent layer\'s gates under its first one, labelled by gate', () => {
  const layers = [
    { tag: 'lstm/input', group: 'lstm', gate: 'input' },
    { tag: 'dense' },
    { tag: 'lstm/forget', group: 'lstm', gate: 'forget' },
    { tag: 'out', output: true },
    { tag: 'lstm/cell', group: 'lstm', gate: 'cell' },
  ];
  const rows = layerRows(['lstm/input', 'dense', 'lstm/forget', 'out', 'lstm/cell'], layers);
  assert.deepEqual(
    rows.map(({ index, label, group, gate, output, groupStart, groupEnd }) => [
      index, label, group, gate, output, groupStart, groupEnd,
    ]),
    [
      [0, 'lstm/input', 'lstm', 'input', false, true, false],
      [2, 'forget', 'lstm', 'forget', false, false, false],
      [4, 'cell', 'lstm', 'cell', false, false, true],
      [1, 'dense', null, null, false, false, false],
      [3, 'out', null, null, true, false, false],
    ],
  );
});

test('layerRows puts a series named as the group first and labels every gate by its gate', () => {
  const layers = [
    { tag: 'gru/update', group: 'gru', gate: 'update' },
    { tag: 'gru' },
    { tag: 'gru/reset', group: 'gru', gate: 'reset' },
  ];
  const rows = layerRows(['gru/update', 'gru', 'gru/reset'], layers);
  assert.deepEqual(
    rows.map(({ tag, label, groupStart, groupEnd }) => [tag, label, groupStart, groupEnd]),
    [
      ['gru', 'gru', true, false],
      ['gru/update', 'update', false, false],
      ['gru/reset', 'reset', false, true],
    ],
  );
});
