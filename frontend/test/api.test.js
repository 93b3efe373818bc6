import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  HttpError,
  diagnosisUrl,
  fetchJson,
  layerUrl,
  overviewUrl,
  runsUrl,
  unitsUrl,
} from '../../tensorboard_plugin_saturation/static/api.js';

function fakeFetch(status, statusText, body) {
  const calls = [];
  const impl = async (url, init) => {
    calls.push({ url, init });
    return {
      ok: status >= 200 && status < 300,
      status,
      statusText,
      json: async () => JSON.parse(body),
      text: async () => body,
    };
  };
  return { impl, calls };
}

test('route URLs are relative and encode their parameters', () => {
  assert.equal(runsUrl(), 'runs');
  assert.equal(overviewUrl('a b/&c', 600), 'overview?run=a+b%2F%26c&maxSteps=600');
  assert.equal(layerUrl('r', '<script>', 900), 'layer?run=r&tag=%3Cscript%3E&maxSteps=900');
  assert.equal(unitsUrl('r', 'dense', 900, 160), 'units?run=r&tag=dense&maxSteps=900&maxUnits=160');
  assert.equal(diagnosisUrl('run#1'), 'diagnosis?run=run%231');
});

test('fetchJson returns the parsed body of a 2xx answer', async () => {
  const { impl, calls } = fakeFetch(200, 'OK', '{"runs": []}');
  assert.deepEqual(await fetchJson('runs', impl), { runs: [] });
  assert.deepEqual(calls, [{ url: 'runs', init: { headers: { Accept: 'application/json' } } }]);
});

test('fetchJson throws an HttpError naming the status, the URL and the reason', async () => {
  const { impl } = fakeFetch(400, 'BAD REQUEST', "missing query parameter 'run'\n");
  await assert.rejects(fetchJson('overview', impl), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 400);
    assert.equal(error.url, 'overview');
    assert.equal(error.message, "400 BAD REQUEST for overview: missing query parameter 'run'");
    return true;
  });
});

test('fetchJson quotes at most 200 characters of an error body', async () => {
  const { impl } = fakeFetch(500, 'INTERNAL SERVER ERROR', 'x'.repeat(1000));
  await assert.rejects(fetchJson('runs', impl), (error) => {
    assert.equal(error.message, `500 INTERNAL SERVER ERROR for runs: ${'x'.repeat(200)}`);
    return true;
  });
});

test('fetchJson of a 404 without body names status and URL only', async () => {
  const { impl } = fakeFetch(404, 'NOT FOUND', '');
  await assert.rejects(fetchJson('diagnosis?run=a', impl), {
    message: '404 NOT FOUND for diagnosis?run=a',
    status: 404,
  });
});
