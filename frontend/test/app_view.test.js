import { test } from 'node:test';
import assert from 'node:assert/strict';

import { saturatedWords } from '../../tensorboard_plugin_saturation/static/app_view.js';

test('saturatedWords names each of the server\'s words with its activations', () => {
  const activations = {
    sigmoid: { saturatedLabel: 'saturated' },
    tanh: { saturatedLabel: 'saturated' },
    relu: { saturatedLabel: 'dead' },
  };
  assert.equal(
    saturatedWords(activations, ['sigmoid', 'relu', 'tanh']),
    'saturated (sigmoid, tanh) or dead (relu) activations',
  );
});

test('saturatedWords names only the activations asked for that the server describes', () => {
  const activations = { sigmoid: { saturatedLabel: 'saturated' }, relu: { saturatedLabel: 'dead' } };
  assert.equal(saturatedWords(activations, ['relu', 'gelu']), 'dead (relu) activations');
});

test('saturatedWords without activations from the server says saturated', () => {
  assert.equal(saturatedWords({}, ['sigmoid']), 'saturated activations');
});
