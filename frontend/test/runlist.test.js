import { test } from 'node:test';
import assert from 'node:assert/strict';

import { matchRuns, matchingSelection, sortRuns } from '../../tensorboard_plugin_saturation/static/runlist.js';

const NAMES = ['lr=0.1/seed=1', 'lr=0.01/seed=1', 'lr=0.1/seed=2', 'Baseline'];

test('matchRuns with an empty pattern matches every run', () => {
  assert.deepEqual(matchRuns(NAMES, ''), { matches: NAMES, error: null });
});

test('matchRuns tests a case-insensitive regular expression anywhere in the name', () => {
  assert.deepEqual(matchRuns(NAMES, 'lr=0\\.1/'), { matches: ['lr=0.1/seed=1', 'lr=0.1/seed=2'], error: null });
  assert.deepEqual(matchRuns(NAMES, '^base'), { matches: ['Baseline'], error: null });
  assert.deepEqual(matchRuns(NAMES, 'seed=(1|3)$'), { matches: ['lr=0.1/seed=1', 'lr=0.01/seed=1'], error: null });
});

test('matchRuns matches an invalid regular expression as text and says why', () => {
  const { matches, error } = matchRuns(['a(b', 'ab'], 'a(');
  assert.deepEqual(matches, ['a(b']);
  assert.match(error, /Unterminated group/);
});

test('sortRuns by name orders by code point', () => {
  assert.deepEqual(sortRuns(['b', 'B', 'a'], 'name', new Map()), ['B', 'a', 'b']);
});

test('sortRuns by status puts saturated runs first, then healthy, then unknown, by name within each', () => {
  const statuses = new Map([
    ['d', { status: 'saturated', saturated: true }],
    ['b', { status: 'healthy', saturated: false }],
    ['a', { status: 'saturated', saturated: true }],
    ['e', null], // no diagnosis
  ]);
  assert.deepEqual(sortRuns(['e', 'd', 'c', 'b', 'a'], 'status', statuses), ['a', 'd', 'b', 'c', 'e']);
});

test('sortRuns refuses an unknown order', () => {
  assert.throws(() => sortRuns([], 'date', new Map()), /runs sort by 'name' or 'status'; got "date"/);
});

test('matchingSelection tells whether all, some or none of the matching runs are selected', () => {
  assert.equal(matchingSelection(['a', 'b'], new Set(['a', 'b', 'c'])), 'all');
  assert.equal(matchingSelection(['a', 'b'], new Set(['b'])), 'some');
  assert.equal(matchingSelection(['a', 'b'], new Set(['c'])), 'none');
  assert.equal(matchingSelection([], new Set()), 'none');
});
