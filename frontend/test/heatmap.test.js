import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  drawHeatmap,
  drawHorizontalRules,
  drawLine,
  drawVerticalMarks,
  prepareCanvas,
} from '../../tensorboard_plugin_saturation/static/heatmap.js';

/** A 2D context that records every call and property set, in order. */
function recordingContext() {
  const calls = [];
  const target = {};
  const ctx = new Proxy(target, {
    get(_, name) {
      if (name === 'calls') return calls;
      return (...args) => calls.push([name, ...args]);
    },
    set(_, name, value) {
      calls.push([`${name}=`, value]);
      return true;
    },
  });
  return ctx;
}

/** A Path2D stand-in that records its rectangles. */
function recordingPath() {
  const rects = [];
  return { rects, rect: (x, y, w, h) => rects.push([x, y, w, h]) };
}

test('prepareCanvas sizes the backing store in device pixels and the style in CSS pixels', () => {
  const ctx = recordingContext();
  const canvas = { width: 0, height: 0, style: {}, getContext: (kind) => (kind === '2d' ? ctx : null) };
  assert.equal(prepareCanvas(canvas, 300.4, 100, 2), ctx);
  assert.equal(canvas.width, 601);
  assert.equal(canvas.height, 200);
  assert.deepEqual(canvas.style, { width: '300.4px', height: '100px' });
  assert.deepEqual(ctx.calls, [
    ['setTransform', 1, 0, 0, 1, 0, 0],
    ['clearRect', 0, 0, 601, 200],
  ]);
});

test('drawHeatmap fills one path per bucket, clipped inside save/restore', () => {
  const ctx = recordingContext();
  const paths = [];
  const grid = {
    colEdges: [0, 10, 20, 30],
    rowEdges: [0, 5, 12],
    buckets: [2, 2, 0, 0, -1, 2],
  };
  drawHeatmap(ctx, grid, ['c0', 'c1', 'c2'], {
    unknownColor: 'grey',
    createPath: () => {
      const path = recordingPath();
      paths.push(path);
      return path;
    },
  });
  assert.deepEqual(paths.map((p) => p.rects), [
    [[0, 0, 20, 5], [20, 5, 10, 7]],
    [[20, 0, 10, 5], [0, 5, 10, 7]],
    [[10, 5, 10, 7]],
  ]);
  assert.deepEqual(ctx.calls, [
    ['save'],
    ['beginPath'],
    ['rect', 0, 0, 30, 12],
    ['clip'],
    ['fillStyle=', 'grey'],
    ['fill', paths[2]],
    ['fillStyle=', 'c0'],
    ['fill', paths[1]],
    ['fillStyle=', 'c2'],
    ['fill', paths[0]],
    ['restore'],
  ]);
});

test('drawHeatmap sets each fillStyle once however many cells share it', () => {
  const ctx = recordingContext();
  const cols = 1000;
  const rows = 50;
  const colEdges = Array.from({ length: cols + 1 }, (_, i) => i);
  const rowEdges = Array.from({ length: rows + 1 }, (_, i) => i * 4);
  const buckets = new Int16Array(rows * cols).map((_, i) => (i * 7) % 5);
  drawHeatmap(ctx, { colEdges, rowEdges, buckets }, ['a', 'b', 'c', 'd', 'e'], {
    createPath: recordingPath,
  });
  const styles = ctx.calls.filter(([name]) => name === 'fillStyle=').map(([, value]) => value);
  assert.deepEqual(styles, ['a', 'b', 'c', 'd', 'e']);
});

test('drawHeatmap leaves unknown cells blank without an unknown colour', () => {
  const ctx = recordingContext();
  const paths = [];
  drawHeatmap(ctx, { colEdges: [0, 4, 8], rowEdges: [0, 3], buckets: [-1, 1] }, ['c0', 'c1'], {
    createPath: () => {
      const path = recordingPath();
      paths.push(path);
      return path;
    },
  });
  assert.deepEqual(paths.map((p) => p.rects), [[[4, 0, 4, 3]]]);
  assert.deepEqual(ctx.calls.filter(([name]) => name === 'fillStyle='), [['fillStyle=', 'c1']]);
});

test('drawHeatmap skips zero-width columns and draws nothing for an empty grid', () => {
  const ctx = recordingContext();
  const paths = [];
  drawHeatmap(ctx, { colEdges: [0, 0, 5], rowEdges: [0, 2], buckets: [0, 1] }, ['c0', 'c1'], {
    createPath: () => {
      const path = recordingPath();
      paths.push(path);
      return path;
    },
  });
  assert.deepEqual(paths.map((p) => p.rects), [[[0, 0, 5, 2]]]);
  const empty = recordingContext();
  drawHeatmap(empty, { colEdges: [0], rowEdges: [0, 1], buckets: [] }, ['c0'], { createPath: recordingPath });
  assert.deepEqual(empty.calls, []);
});

test('drawLine breaks at null values and dots isolated points', () => {
  const ctx = recordingContext();
  drawLine(ctx, [0, 10, 20, 30, 40, 50], [5, 6, null, 7, null, NaN], { color: 'blue', lineWidth: 2 });
  assert.deepEqual(ctx.calls, [
    ['save'],
    ['strokeStyle=', 'blue'],
    ['fillStyle=', 'blue'],
    ['lineWidth=', 2],
    ['lineJoin=', 'round'],
    ['beginPath'],
    ['moveTo', 0, 5],
    ['lineTo', 10, 6],
    ['moveTo', 30, 7],
    ['stroke'],
    ['fillRect', 28, 5, 4, 4],
    ['restore'],
  ]);
});

test('drawVerticalMarks puts 1-pixel lines on pixel centres', () => {
  const ctx = recordingContext();
  drawVerticalMarks(ctx, [10, 20.4], 0, 50, { color: 'red', lineWidth: 1 });
  assert.deepEqual(ctx.calls, [
    ['save'],
    ['strokeStyle=', 'red'],
    ['lineWidth=', 1],
    ['beginPath'],
    ['moveTo', 10.5, 0],
    ['lineTo', 10.5, 50],
    ['moveTo', 20.5, 0],
    ['lineTo', 20.5, 50],
    ['stroke'],
    ['restore'],
  ]);
  const none = recordingContext();
  drawVerticalMarks(none, [], 0, 50, { color: 'red', lineWidth: 1 });
  assert.deepEqual(none.calls, []);
});

test('drawHorizontalRules draws dashed rules on whole pixels for even widths', () => {
  const ctx = recordingContext();
  drawHorizontalRules(ctx, [7.6], 0, 100, { color: 'grey', lineWidth: 2, dash: [4, 4] });
  assert.deepEqual(ctx.calls, [
    ['save'],
    ['strokeStyle=', 'grey'],
    ['lineWidth=', 2],
    ['setLineDash', [4, 4]],
    ['beginPath'],
    ['moveTo', 0, 8],
    ['lineTo', 100, 8],
    ['stroke'],
    ['restore'],
  ]);
});
