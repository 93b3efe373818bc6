import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  deviceLength,
  edgesFromPositions,
  labelRows,
  locate,
  rowHeightCss,
  spanEdges,
  uniformEdges,
} from '../../tensorboard_plugin_saturation/static/layout.js';

test('deviceLength rounds CSS pixels times pxRatio', () => {
  assert.equal(deviceLength(100, 1), 100);
  assert.equal(deviceLength(100.4, 2), 201);
  assert.equal(deviceLength(33, 1.5), 50);
  assert.equal(deviceLength(-5, 2), 0);
});

test('uniformEdges splits a length into integer edges from 0 to its device length', () => {
  assert.deepEqual([...uniformEdges(3, 10, 1)], [0, 3, 7, 10]);
  assert.deepEqual([...uniformEdges(4, 100, 2)], [0, 50, 100, 150, 200]);
  assert.deepEqual([...uniformEdges(2, 33, 1.5)], [0, 25, 50]);
});

test('edgesFromPositions rounds CSS positions to device pixels', () => {
  assert.deepEqual([...edgesFromPositions([0, 10.2, 20.7], 2)], [0, 20, 41]);
});

test('uniformEdges gives every cell a positive integer width and no gap at a fractional pxRatio', () => {
  const edges = uniformEdges(7, 101, 1.25);
  assert.equal(edges[0], 0);
  assert.equal(edges[7], deviceLength(101, 1.25));
  for (let i = 0; i < 7; i++) {
    const width = edges[i + 1] - edges[i];
    assert.ok(Number.isInteger(width) && width > 0, `cell ${i} is ${width} px wide`);
  }
});

test('uniformEdges of 2 x 3 cells at pxRatio 2 split 10 x 5 CSS px exactly', () => {
  assert.deepEqual([...uniformEdges(3, 10, 2)], [0, 7, 13, 20]);
  assert.deepEqual([...uniformEdges(2, 5, 2)], [0, 5, 10]);
});

test('locate finds the cell holding a coordinate', () => {
  const edges = [0, 10, 20, 35];
  assert.equal(locate(edges, 0), 0);
  assert.equal(locate(edges, 9.9), 0);
  assert.equal(locate(edges, 10), 1);
  assert.equal(locate(edges, 34), 2);
});

test('locate answers -1 outside the edges', () => {
  const edges = [5, 10, 20];
  assert.equal(locate(edges, 4), -1);
  assert.equal(locate(edges, 20), -1);
  assert.equal(locate(edges, NaN), -1);
});

test('rowHeightCss keeps small networks tall and rows readable', () => {
  assert.equal(rowHeightCss(1), 30);
  assert.equal(rowHeightCss(4), 30);
  assert.equal(rowHeightCss(8), 20);
  assert.equal(rowHeightCss(12), 14);
  assert.equal(rowHeightCss(50), 14);
  assert.equal(rowHeightCss(0), 30);
});

test('labelRows keeps labels far enough apart in one row', () => {
  assert.deepEqual(labelRows([0, 200, 400], 150), [0, 0, 0]);
});

test('labelRows moves crowded labels to the next free row', () => {
  assert.deepEqual(labelRows([0, 1, 100, 160, 170], 150), [0, 1, 2, 0, 1]);
  assert.deepEqual(labelRows([], 150), []);
});

test('spanEdges places contiguous step spans on the step axis in device pixels', () => {
  const spans = { from: [0, 10, 20], to: [10, 20, 30] };
  assert.deepEqual([...spanEdges(spans, (step) => step * 2.5, 2)], [0, 50, 100, 150]);
  assert.deepEqual([...spanEdges({ from: [], to: [] }, (step) => step, 1)], []);
});
