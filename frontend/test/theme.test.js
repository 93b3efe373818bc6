import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  CANVAS_COLOR_PROPERTIES,
  canvasColors,
  rebaseCssUrls,
} from '../../tensorboard_plugin_saturation/static/theme.js';

test('canvasColors reads each canvas colour from its CSS custom property, trimmed', () => {
  const values = {
    '--sat-unknown': ' #d6d6d6',
    '--sat-line': '#1976d2 ',
    '--sat-grid': '#eee',
    '--sat-nonfinite': 'red',
  };
  assert.deepEqual(canvasColors((property) => values[property]), {
    unknown: '#d6d6d6',
    line: '#1976d2',
    grid: '#eee',
    nonfinite: 'red',
  });
  assert.deepEqual(Object.keys(CANVAS_COLOR_PROPERTIES), ['unknown', 'line', 'grid', 'nonfinite']);
});

test('rebaseCssUrls resolves relative font URLs against the host page', () => {
  const css = '@font-face { src: url("font-roboto/a.woff2") format("woff2"); }';
  assert.equal(
    rebaseCssUrls(css, 'http://127.0.0.1:6006/proxy/tb/'),
    '@font-face { src: url("http://127.0.0.1:6006/proxy/tb/font-roboto/a.woff2") format("woff2"); }',
  );
});

test('rebaseCssUrls handles unquoted, single-quoted and absolute URLs', () => {
  assert.equal(
    rebaseCssUrls("src: url(f.woff2), url('../g.woff2')", 'http://h/a/b/'),
    'src: url("http://h/a/b/f.woff2"), url("http://h/a/g.woff2")',
  );
  assert.equal(rebaseCssUrls('url(/root.woff2)', 'http://h/a/'), 'url("http://h/root.woff2")');
});

test('rebaseCssUrls leaves data: URLs alone', () => {
  const css = 'src: url(data:font/woff2;base64,AAAA)';
  assert.equal(rebaseCssUrls(css, 'http://h/'), css);
});
