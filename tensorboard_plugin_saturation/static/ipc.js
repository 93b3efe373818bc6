/**
 * The guest side of TensorBoard's plugin IPC, for a plain-JS iframe plugin.
 *
 * TensorBoard's own guest library (plugin_lib) was never published, so this
 * re-implements its protocol: the iframe posts "experimental.bootstrap" with
 * a MessagePort to its parent, then both sides exchange JSON strings
 * {type, id, payload, error, isReply} over the port. Every message that is not
 * a reply must be answered with isReply: true, even without a listener.
 */

/** Message types of TensorBoard 2.x (components/experimental/plugin_util/message_types.ts). */
export const MESSAGE_TYPES = Object.freeze({
  DATA_RELOADED: 'experimental.DataReloaded',
  GET_URL_DATA: 'experimental.GetURLPluginData',
  GET_RUNS: 'experimental.GetRuns',
  RUNS_CHANGED: 'experimental.RunsChanged',
});

/**
 * @typedef {Object} HostConnection
 * @property {function(string, function(any): any): void} listen Handles one message type.
 * @property {function(string, any, number=): Promise<any>} sendMessage Asks the host; rejects on an
 *     error reply or after the timeout (ms, default 2000).
 * @property {function(): void} close
 */

/**
 * Connects to the TensorBoard page that holds this iframe.
 * @param {{postMessage: function}} hostWindow The parent window.
 * @param {function(): {port1: MessagePort, port2: MessagePort}} [createChannel]
 * @returns {HostConnection}
 */
export function connectToHost(hostWindow, createChannel = () => new MessageChannel()) {
  const channel = createChannel();
  const port = channel.port1;
  const listeners = new Map();
  const pending = new Map();
  let nextId = 0;

  const post = (message) => port.postMessage(JSON.stringify(message));

  async function onMessage(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.isReply) {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${message.type}: ${JSON.stringify(message.error)}`));
      else waiter.resolve(message.payload);
      return;
    }
    let payload = null;
    let error = null;
    const listener = listeners.get(message.type);
    if (listener) {
      try {
        payload = (await listener(message.payload)) ?? null;
      } catch (caught) {
        error = String(caught && caught.message ? caught.message : caught);
      }
    }
    post({ type: message.type, id: message.id, payload, error, isReply: true });
  }

  port.addEventListener('message', onMessage);
  port.start();
  hostWindow.postMessage('experimental.bootstrap', '*', [channel.port2]);

  return {
    listen(type, handler) {
      listeners.set(type, handler);
    },
    sendMessage(type, payload, timeoutMs = 2000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${type}: no answer from TensorBoard within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          reject: (reason) => {
            clearTimeout(timer);
            reject(reason);
          },
        });
        post({ type, id, payload, error: null, isReply: false });
      });
    },
    close() {
      port.close();
    },
  };
}
