import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  dataFromViewState,
  formatHash,
  hashWithPluginData,
  parseHash,
  pluginDataFromHash,
  viewStateFromData,
} from '../../tensorboard_plugin_saturation/static/urlstate.js';

test('parseHash reads the tab and decoded key=value pairs like TensorBoard', () => {
  assert.deepEqual(parseHash('#saturation&p.saturation.layer=dense%201&x=1'), {
    tab: 'saturation',
    params: [['p.saturation.layer', 'dense 1'], ['x', '1']],
  });
  assert.deepEqual(parseHash('scalars'), { tab: 'scalars', params: [] });
  assert.deepEqual(parseHash(''), { tab: null, params: [] });
});

test('parseHash skips segments with more than one "=" and keeps undecodable text', () => {
  assert.deepEqual(parseHash('#a=b=c&k=%E0%A4%A'), { tab: null, params: [['k', '%E0%A4%A']] });
});

test('formatHash encodes keys and values', () => {
  assert.equal(formatHash({ tab: 'saturation', params: [['p.saturation.layer', 'a&b=c']] }),
    '#saturation&p.saturation.layer=a%26b%3Dc');
  assert.equal(formatHash({ tab: null, params: [] }), '');
});

test('pluginDataFromHash returns the plugin keys without their prefix', () => {
  const hash = '#saturation&p.saturation.runs=%5B%22a%22%5D&p.other.runs=x&smoothing=0.6';
  assert.deepEqual(pluginDataFromHash(hash, 'saturation'), { runs: '["a"]' });
});

test('hashWithPluginData replaces only the plugin keys', () => {
  const hash = '#saturation&smoothing=0.6&p.saturation.layer=old';
  assert.equal(
    hashWithPluginData(hash, 'saturation', { runs: '["r"]', layer: null }),
    '#saturation&smoothing=0.6&p.saturation.runs=%5B%22r%22%5D',
  );
});

test('a view survives the round trip through the hash, whatever the run names', () => {
  const view = { runs: ['<img src=x>', 'a&b=c', 'run/1', 'ünï'], layer: 'block/dense #1' };
  const hash = hashWithPluginData('#saturation', 'saturation', dataFromViewState(view));
  assert.deepEqual(viewStateFromData(pluginDataFromHash(hash, 'saturation')), view);
});

test('viewStateFromData ignores malformed entries', () => {
  assert.deepEqual(viewStateFromData({}), { runs: null, layer: null });
  assert.deepEqual(viewStateFromData({ runs: 'not json', layer: '' }), { runs: null, layer: null });
  assert.deepEqual(viewStateFromData({ runs: '{"a": 1}' }), { runs: null, layer: null });
  assert.deepEqual(viewStateFromData({ runs: '["a", 3, null, "b"]' }), { runs: ['a', 'b'], layer: null });
});

test('dataFromViewState writes runs as JSON and drops an empty layer', () => {
  assert.deepEqual(dataFromViewState({ runs: ['a', 'b'], layer: 'dense' }), { runs: '["a","b"]', layer: 'dense' });
  assert.deepEqual(dataFromViewState({ runs: [], layer: null }), { runs: '[]', layer: null });
});
