import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  formatCount,
  formatList,
  formatPercent,
  formatPercentTick,
  formatShare,
  formatStepRange,
  formatTick,
} from '../../tensorboard_plugin_saturation/static/format.js';

test('formatPercent shows a share as a percentage', () => {
  assert.equal(formatPercent(0.6912), '69.1%');
  assert.equal(formatPercent(0.6912, 2), '69.12%');
  assert.equal(formatPercent(1, 0), '100%');
});

test('formatShare shows the exact value the server sent, then the percentage', () => {
  assert.equal(formatShare(0.6912), '0.6912 (69.12%)');
  assert.equal(formatShare(0), '0 (0.00%)');
  assert.equal(formatShare(1), '1 (100.00%)');
});

test('formatShare says "no data" for a missing value', () => {
  assert.equal(formatShare(null), 'no data');
  assert.equal(formatShare(undefined), 'no data');
  assert.equal(formatShare(NaN), 'no data');
});

test('formatStepRange names one step or a range', () => {
  assert.equal(formatStepRange(120, 120), 'step 120');
  assert.equal(formatStepRange(120, 179), 'steps 120–179');
});

test('formatTick writes integers in full below 10k, then with k or M', () => {
  assert.equal(formatTick(0), '0');
  assert.equal(formatTick(250), '250');
  assert.equal(formatTick(9999), '9999');
  assert.equal(formatTick(12500), '12.5k');
  assert.equal(formatTick(100000), '100k');
  assert.equal(formatTick(2000000), '2M');
  assert.equal(formatTick(-20000), '-20k');
});

test('formatTick writes other numbers to three significant digits', () => {
  assert.equal(formatTick(0.25), '0.25');
  assert.equal(formatTick(0.015625), '0.0156');
  assert.equal(formatTick(-0.5), '-0.5');
  assert.equal(formatTick(1.1754943508222875e-38), '1.18e-38');
});

test('formatPercentTick labels legend shares', () => {
  assert.equal(formatPercentTick(0.001), '0.1%');
  assert.equal(formatPercentTick(0.25), '25%');
  assert.equal(formatPercentTick(1), '100%');
  assert.equal(formatPercentTick(0), '0%');
});

test('formatList joins names in English and shortens long lists', () => {
  assert.equal(formatList([]), '');
  assert.equal(formatList(['dense']), 'dense');
  assert.equal(formatList(['dense', 'dense_1']), 'dense and dense_1');
  assert.equal(formatList(['a', 'b', 'c']), 'a, b and c');
  assert.equal(formatList(['a', 'b', 'c', 'd', 'e']), 'a, b, c and 2 more');
  assert.equal(formatList(['a', 'b', 'c'], 2), 'a, b and 1 more');
});

test('formatCount picks singular or plural', () => {
  assert.equal(formatCount(1, 'layer'), '1 layer');
  assert.equal(formatCount(4, 'layer'), '4 layers');
  assert.equal(formatCount(0, 'step'), '0 steps');
  assert.equal(formatCount(2, 'NaN/Inf value', 'NaN/Inf values'), '2 NaN/Inf values');
});
