import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  LOG_FLOOR,
  PALETTE,
  PALETTE_ANCHORS,
  PALETTE_CSS,
  PALETTE_SIZE,
  bucketize,
  interpolateAnchors,
  normalize,
  normalizeLog,
  paletteIndex,
  rgbCss,
  shareScale,
} from '../../tensorboard_plugin_saturation/static/colormap.js';

test('normalize maps the range linearly onto [0, 1]', () => {
  assert.equal(normalize(0, 0, 1), 0);
  assert.equal(normalize(0.25, 0, 1), 0.25);
  assert.equal(normalize(1, 0, 1), 1);
  assert.equal(normalize(15, 10, 30), 0.25);
});

test('normalize clamps values outside the range', () => {
  assert.equal(normalize(-3, 0, 1), 0);
  assert.equal(normalize(7, 0, 1), 1);
});

test('normalize maps a degenerate range to 0.5', () => {
  assert.equal(normalize(3, 3, 3), 0.5);
  assert.equal(normalize(0, 1, 0), 0.5);
});

test('normalize maps NaN, null and undefined to null', () => {
  assert.equal(normalize(NaN, 0, 1), null);
  assert.equal(normalize(null, 0, 1), null);
  assert.equal(normalize(undefined, 0, 1), null);
});

test('normalizeLog spaces powers of ten evenly', () => {
  assert.equal(normalizeLog(0.001, 0.001, 1), 0);
  assert.equal(normalizeLog(1, 0.001, 1), 1);
  assert.ok(Math.abs(normalizeLog(0.01, 0.001, 1) - 1 / 3) < 1e-12);
  assert.ok(Math.abs(normalizeLog(0.1, 0.001, 1) - 2 / 3) < 1e-12);
});

test('normalizeLog maps zero and values below the floor to 0', () => {
  assert.equal(normalizeLog(0, 0.001, 1), 0);
  assert.equal(normalizeLog(0.0005, 0.001, 1), 0);
  assert.equal(normalizeLog(-1, 0.001, 1), 0);
});

test('normalizeLog handles unknown values and degenerate ranges like normalize', () => {
  assert.equal(normalizeLog(NaN, 0.001, 1), null);
  assert.equal(normalizeLog(null, 0.001, 1), null);
  assert.equal(normalizeLog(0.5, 1, 1), 0.5);
  assert.equal(normalizeLog(2, 10, 1), 0.5);
});

test('paletteIndex splits [0, 1] into equal buckets and clamps', () => {
  assert.equal(paletteIndex(0, 256), 0);
  assert.equal(paletteIndex(0.5, 256), 128);
  assert.equal(paletteIndex(0.999, 256), 255);
  assert.equal(paletteIndex(1, 256), 255);
  assert.equal(paletteIndex(1.5, 256), 255);
  assert.equal(paletteIndex(-0.2, 256), 0);
  assert.equal(paletteIndex(0.26, 4), 1);
});

test('paletteIndex gives -1 (the unknown colour) for null and NaN', () => {
  assert.equal(paletteIndex(null, 256), -1);
  assert.equal(paletteIndex(NaN, 256), -1);
});

test('the palette has PALETTE_SIZE valid 0-255 integer triplets', () => {
  assert.equal(PALETTE.length, PALETTE_SIZE);
  for (const rgb of PALETTE) {
    assert.equal(rgb.length, 3);
    for (const channel of rgb) {
      assert.ok(Number.isInteger(channel) && channel >= 0 && channel <= 255, `bad channel ${channel}`);
    }
  }
  for (const rgb of PALETTE_ANCHORS) {
    for (const channel of rgb) assert.ok(Number.isInteger(channel) && channel >= 0 && channel <= 255);
  }
});

test('the palette runs from the first to the last viridis anchor', () => {
  assert.deepEqual([...PALETTE[0]], [68, 1, 84]);
  assert.deepEqual([...PALETTE[PALETTE_SIZE - 1]], [253, 231, 37]);
  assert.deepEqual([...PALETTE[64]], [34, 145, 139]);
  assert.equal(PALETTE_CSS[0], 'rgb(68, 1, 84)');
  assert.equal(PALETTE_CSS[127], 'rgb(253, 231, 37)');
});

test('the palette gets lighter from low to high values', () => {
  const luma = ([r, g, b]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  for (let i = 8; i < PALETTE_SIZE; i += 8) assert.ok(luma(PALETTE[i]) > luma(PALETTE[i - 8]));
});

test('the palette has no repeated neighbouring colours', () => {
  for (let i = 1; i < PALETTE_SIZE; i++) assert.notEqual(PALETTE_CSS[i], PALETTE_CSS[i - 1]);
});

test('interpolateAnchors hits the anchors and interpolates between them', () => {
  const colors = interpolateAnchors([[0, 0, 0], [100, 200, 255]], 5);
  assert.deepEqual(colors, [[0, 0, 0], [25, 50, 64], [50, 100, 128], [75, 150, 191], [100, 200, 255]]);
  const three = interpolateAnchors([[0, 0, 0], [10, 10, 10], [10, 30, 50]], 3);
  assert.deepEqual(three, [[0, 0, 0], [10, 10, 10], [10, 30, 50]]);
});

test('interpolateAnchors rejects fewer than two anchors or colours', () => {
  assert.throws(() => interpolateAnchors([[1, 2, 3]], 5), /at least two anchors/);
  assert.throws(() => interpolateAnchors(PALETTE_ANCHORS, 1), /two colours; got 10 anchors, 1 colours/);
});

test('rgbCss formats a triplet', () => {
  assert.equal(rgbCss([1, 22, 255]), 'rgb(1, 22, 255)');
});

test('shareScale linear spans 0 to hi', () => {
  const scale = shareScale('linear', 0.5);
  assert.equal(scale.lo, 0);
  assert.equal(scale.hi, 0.5);
  assert.equal(scale.position(0.25), 0.5);
  assert.equal(scale.position(null), null);
});

test('shareScale log spans LOG_FLOOR to hi', () => {
  const scale = shareScale('log', 1);
  assert.equal(scale.lo, LOG_FLOOR);
  assert.equal(scale.position(0), 0);
  assert.equal(scale.position(1), 1);
  assert.equal(shareScale('log', 0).hi, LOG_FLOOR);
});

test('shareScale rejects an unknown kind', () => {
  assert.throws(() => shareScale('sqrt', 1), /must be 'linear' or 'log'; got "sqrt"/);
});

test('bucketize maps a grid row-major with -1 for unknown values', () => {
  const buckets = bucketize([[0, 0.5, null], [1, 0.3, NaN]], (v) => normalize(v, 0, 1), 4);
  assert.ok(buckets instanceof Int16Array);
  assert.deepEqual([...buckets], [0, 2, -1, 3, 1, -1]);
});

test('bucketize of no rows is empty', () => {
  assert.equal(bucketize([], (v) => v, 4).length, 0);
});
