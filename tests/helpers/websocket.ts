import WebSocket from 'ws';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A WebSocket client to `path` on 127.0.0.1, terminated by `t`'s teardown; resolves once it is open. */
export async function openWebSocket(t: Teardown, port: number, path = '/ws', opts: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, opts);
  t.teardown(() => ws.terminate());
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}
