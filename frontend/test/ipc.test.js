import { test } from 'node:test';
import assert from 'node:assert/strict';

import { MESSAGE_TYPES, connectToHost } from '../../tensorboard_plugin_saturation/static/ipc.js';

/** A stand-in for TensorBoard's page: takes the bootstrap port and talks JSON over it. */
function fakeHost() {
  const received = [];
  const waiting = [];
  const host = {
    bootstrap: null,
    port: null,
    postMessage(message, origin, ports) {
      host.bootstrap = { message, origin, portCount: ports.length };
      host.port = ports[0];
      host.port.addEventListener('message', (event) => {
        const parsed = JSON.parse(event.data);
        received.push(parsed);
        while (waiting.length) waiting.shift()();
      });
      host.port.start();
    },
    send(message) {
      host.port.postMessage(JSON.stringify(message));
    },
    async nextMessage() {
      if (!received.length) await new Promise((resolve) => waiting.push(resolve));
      return received.shift();
    },
  };
  return host;
}

test('connectToHost posts "experimental.bootstrap" with one port to the parent', (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  assert.deepEqual(host.bootstrap, { message: 'experimental.bootstrap', origin: '*', portCount: 1 });
});

test('a DataReloaded broadcast runs the listener and is answered with isReply', async (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  let reloads = 0;
  connection.listen(MESSAGE_TYPES.DATA_RELOADED, () => {
    reloads++;
  });
  host.send({ type: 'experimental.DataReloaded', id: 7, payload: null, error: null, isReply: false });
  assert.deepEqual(await host.nextMessage(), {
    type: 'experimental.DataReloaded',
    id: 7,
    payload: null,
    error: null,
    isReply: true,
  });
  assert.equal(reloads, 1);
});

test('a broadcast without a listener is still answered', async (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  host.send({ type: 'experimental.RunsChanged', id: 3, payload: ['a'], error: null, isReply: false });
  assert.deepEqual(await host.nextMessage(), {
    type: 'experimental.RunsChanged',
    id: 3,
    payload: null,
    error: null,
    isReply: true,
  });
});

test('a failing listener answers with its error message', async (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  connection.listen('experimental.DataReloaded', () => {
    throw new Error('boom');
  });
  host.send({ type: 'experimental.DataReloaded', id: 1, payload: null, error: null, isReply: false });
  const reply = await host.nextMessage();
  assert.equal(reply.error, 'boom');
  assert.equal(reply.isReply, true);
});

test('sendMessage resolves with the payload of the matching reply', async (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  const answer = connection.sendMessage(MESSAGE_TYPES.GET_URL_DATA, { pluginName: 'saturation' });
  const request = await host.nextMessage();
  assert.deepEqual(request, {
    type: 'experimental.GetURLPluginData',
    id: 0,
    payload: { pluginName: 'saturation' },
    error: null,
    isReply: false,
  });
  host.send({ type: request.type, id: 99, payload: { layer: 'wrong id' }, error: null, isReply: true });
  host.send({ type: request.type, id: request.id, payload: { layer: 'dense' }, error: null, isReply: true });
  assert.deepEqual(await answer, { layer: 'dense' });
});

test('sendMessage rejects on an error reply', async (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  const answer = connection.sendMessage('experimental.GetRuns', null);
  const request = await host.nextMessage();
  host.send({ type: request.type, id: request.id, payload: null, error: 'no runs', isReply: true });
  await assert.rejects(answer, /experimental.GetRuns: "no runs"/);
});

test('sendMessage rejects when the host never answers', async (t) => {
  const host = fakeHost();
  const connection = connectToHost(host);
  t.after(() => {
    connection.close();
    host.port.close();
  });
  await assert.rejects(
    connection.sendMessage('experimental.GetURLPluginData', { pluginName: 'saturation' }, 20),
    /no answer from TensorBoard within 20 ms/,
  );
});
