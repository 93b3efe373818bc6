import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  columnSpans,
  edgeTickIndices,
  legendTicks,
  linearScale,
  niceStep,
  niceTicks,
  powerOfTenTicks,
  stepDomain,
} from '../../tensorboard_plugin_saturation/static/scales.js';
import { shareScale } from '../../tensorboard_plugin_saturation/static/colormap.js';

test('linearScale maps and inverts', () => {
  const scale = linearScale([0, 300], [0, 600]);
  assert.equal(scale.map(150), 300);
  assert.equal(scale.map(-10), -20);
  assert.equal(scale.invert(300), 150);
});

test('linearScale maps a degenerate domain to the middle of the range', () => {
  const scale = linearScale([5, 5], [0, 100]);
  assert.equal(scale.map(5), 50);
  assert.equal(scale.map(99), 50);
  assert.equal(scale.invert(10), 5);
});

test('niceStep picks 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(300, 5), 50);
  assert.equal(niceStep(1000, 10), 100);
  assert.equal(niceStep(1, 4), 0.2);
  assert.equal(niceStep(999, 3), 500);
  assert.equal(niceStep(7, 5), 1);
  assert.equal(niceStep(8, 5), 2);
});

test('niceTicks gives round values inside the range', () => {
  assert.deepEqual(niceTicks(0, 300, 5), [0, 50, 100, 150, 200, 250, 300]);
  assert.deepEqual(niceTicks(0, 1, 4), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 97, 4), [20, 40, 60, 80]);
  assert.deepEqual(niceTicks(0, 0.25, 5), [0, 0.05, 0.1, 0.15, 0.2, 0.25]);
});

test('niceTicks keeps decimal ticks exact', () => {
  assert.deepEqual(niceTicks(0, 1, 10), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
});

test('niceTicks handles a point and invalid ranges', () => {
  assert.deepEqual(niceTicks(4, 4, 5), [4]);
  assert.deepEqual(niceTicks(5, 4, 5), []);
  assert.deepEqual(niceTicks(0, Infinity, 5), []);
  assert.deepEqual(niceTicks(NaN, 1, 5), []);
});

test('powerOfTenTicks lists the decades inside the range', () => {
  assert.deepEqual(powerOfTenTicks(0.001, 1), [0.001, 0.01, 0.1, 1]);
  assert.deepEqual(powerOfTenTicks(0.001, 0.5), [0.001, 0.01, 0.1]);
  assert.deepEqual(powerOfTenTicks(2, 2000), [10, 100, 1000]);
  assert.deepEqual(powerOfTenTicks(0, 1), []);
});

test('legendTicks of a linear share scale are nice values at their positions', () => {
  assert.deepEqual(legendTicks(shareScale('linear', 1), 4), [
    { value: 0, position: 0 },
    { value: 0.2, position: 0.2 },
    { value: 0.4, position: 0.4 },
    { value: 0.6, position: 0.6 },
    { value: 0.8, position: 0.8 },
    { value: 1, position: 1 },
  ]);
});

test('legendTicks of a log share scale are the decades', () => {
  const ticks = legendTicks(shareScale('log', 1), 4);
  assert.deepEqual(ticks.map((t) => t.value), [0.001, 0.01, 0.1, 1]);
  assert.deepEqual(ticks.map((t) => Math.round(t.position * 1e9) / 1e9), [0, 0.333333333, 0.666666667, 1]);
});

test('columnSpans reaches from each column start to the next', () => {
  assert.deepEqual(columnSpans([0, 30, 60], [20, 50, 80]), { from: [0, 30, 60], to: [30, 60, 90] });
});

test('columnSpans ends the last column one logging interval after its last step', () => {
  assert.deepEqual(columnSpans([0, 10, 20]), { from: [0, 10, 20], to: [10, 20, 30] });
  assert.deepEqual(columnSpans([0, 60, 120], [59, 119, 299]), { from: [0, 60, 120], to: [60, 120, 300] });
});

test('columnSpans of one column covers one step, of none is empty', () => {
  assert.deepEqual(columnSpans([7]), { from: [7], to: [8] });
  assert.deepEqual(columnSpans([]), { from: [], to: [] });
});

test('stepDomain holds every run and ignores empty ones', () => {
  const domain = stepDomain([
    { from: [10, 20], to: [20, 30] },
    { from: [], to: [] },
    { from: [0, 100], to: [100, 200] },
  ]);
  assert.deepEqual(domain, [0, 200]);
});

test('stepDomain without columns is [0, 1]', () => {
  assert.deepEqual(stepDomain([]), [0, 1]);
  assert.deepEqual(stepDomain([{ from: [], to: [] }]), [0, 1]);
});

test('edgeTickIndices picks evenly spaced edges and always the last', () => {
  assert.deepEqual(edgeTickIndices(65, 5), [0, 16, 32, 48, 64]);
  assert.deepEqual(edgeTickIndices(27, 5), [0, 7, 14, 21, 26]);
  assert.deepEqual(edgeTickIndices(3, 5), [0, 1, 2]);
});

test('edgeTickIndices drops an index crowding the last one', () => {
  assert.deepEqual(edgeTickIndices(8, 4), [0, 3, 7]);
});

test('edgeTickIndices of one or no edge', () => {
  assert.deepEqual(edgeTickIndices(1, 5), [0]);
  assert.deepEqual(edgeTickIndices(0, 5), []);
});
