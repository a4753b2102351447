import { existsSync, openSync, closeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { rawConnect } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startPropane, type PropaneNode } from '../helpers/propane.js';
import { REUSE_PORT_SKIP } from '../helpers/reuse-port.js';
import { execWithListenPid, requireSocketActivate, sendDatagram, startUnderSocketActivate, type ActivateOptions } from '../helpers/socket-activation.js';
import { tempFile } from '../helpers/temp.js';
import { within } from '../helpers/wait.js';

// A passed socket propane cannot serve on, or a config that contradicts it
// (docs/errors.md, PROPANE_ERR_SOCKET_ACTIVATION): exit 2 with one line that
// names the problem and the fix, and nothing started (no worker, no status
// socket). Binding instead could only fail: the service manager holds the port.

/** The `propane:` lines on stderr (systemd-socket-activate writes its own lines there too). */
function propaneLines(node: PropaneNode): string[] {
  return node.stderr.split('\n').filter((l) => l.startsWith('propane: '));
}

async function refuses(t: Test, node: PropaneNode, expected: RegExp): Promise<void> {
  const exit = await within(node.exited, 15_000);
  t.same(exit, { code: 2, signal: null }, 'exit 2');
  const lines = propaneLines(node);
  t.equal(lines.length, 1, 'one line', { stderr: node.stderr });
  t.match(lines[0], expected);
  t.same(node.forkedPids, [], 'no worker was forked');
  t.notOk(existsSync(node.socket), 'no status socket was left');
}

/** A connection that activates the listener, closed as soon as it is made or refused. */
function activate(port: number): Promise<void> {
  return rawConnect(port).then(
    (s) => void s.destroy(),
    () => undefined,
  );
}

const ESCAPED = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const UNDER_TOOL: Array<{ name: string; opts: (port: number, other: number) => ActivateOptions; expected: (port: number, other: number) => RegExp; skip?: string | false }> = [
  {
    name: 'a --port that differs from the inherited socket',
    opts: (_port, other) => ({ args: ['--port', String(other)] }),
    expected: (port, other) =>
      new RegExp(`^${ESCAPED(`propane: PROPANE_ERR_SOCKET_ACTIVATION port is ${other} from --port, but the listening socket passed as fd 3 (LISTEN_FDS) is bound to 127.0.0.1:${port}. Fix: leave port unset (the socket decides), set it to ${port}, or change ListenStream= in the .socket unit.`)}$`),
  },
  {
    name: 'a host in the config file that differs from the inherited socket',
    opts: () => ({ config: { host: '127.0.0.2' } }),
    expected: (port) => new RegExp(`^propane: PROPANE_ERR_SOCKET_ACTIVATION host is 127\\.0\\.0\\.2 \\(which is 127\\.0\\.0\\.2\\) from config file \\S+propane\\.json, but the listening socket passed as fd 3 \\(LISTEN_FDS\\) is bound to 127\\.0\\.0\\.1:${port}\\. Fix: leave host unset`),
  },
  {
    name: 'two sockets (LISTEN_FDS=2)',
    opts: (port, other) => ({ listen: [`127.0.0.1:${port}`, `127.0.0.1:${other}`], fdname: 'http:admin' }),
    expected: () => /^propane: PROPANE_ERR_SOCKET_ACTIVATION LISTEN_FDS=2 \(LISTEN_FDNAMES=http:admin\): propane serves on exactly one inherited listening socket\. Fix: give its \.socket unit a single ListenStream=, or start propane without socket activation\.$/,
  },
  {
    name: 'a UDP socket (ListenDatagram=)',
    opts: () => ({ datagram: true }),
    expected: () => /^propane: PROPANE_ERR_SOCKET_ACTIVATION fd 3 from LISTEN_FDS=1 is a UDP socket; propane serves HTTP over TCP\. Fix: use ListenStream= instead of ListenDatagram= in the \.socket unit\.$/,
  },
  {
    name: 'scheduling policy round_robin',
    opts: () => ({ args: ['--scheduling-policy', 'round_robin'] }),
    expected: () => /^propane: PROPANE_ERR_SOCKET_ACTIVATION propane\.schedulingPolicy is round_robin from --scheduling-policy, which cannot serve on an inherited socket: the supervisor would accept every connection itself, .+\. Fix: set it to none \(the default\): every worker accepts on the inherited socket\.$/,
  },
  {
    name: 'scheduling policy reuse_port',
    skip: REUSE_PORT_SKIP,
    opts: () => ({ args: ['--scheduling-policy', 'reuse_port'] }),
    expected: () => /^propane: PROPANE_ERR_SOCKET_ACTIVATION propane\.schedulingPolicy is reuse_port from --scheduling-policy, which cannot serve on an inherited socket: it gives every worker a SO_REUSEPORT socket of its own, and the service manager passed one socket\. Fix: set it to none/,
  },
];

for (const c of UNDER_TOOL) {
  t.test(`under systemd-socket-activate, ${c.name}: exit 2 naming the problem and the fix`, { skip: c.skip ?? false }, async (t) => {
    if (!requireSocketActivate(t)) return;
    const [port, other] = [await freePort(), await freePort()];
    const opts = c.opts(port, other);
    const { node } = await startUnderSocketActivate(t, { workers: 1, listen: [`127.0.0.1:${port}`], ...opts });
    await (opts.datagram ? sendDatagram(port) : activate(port));
    await refuses(t, node, c.expected(port, other));
  });
}

t.test('fd 3 a file, not a socket: exit 2 naming what it is', async (t) => {
  const file = tempFile(t, 'not-a-socket', '');
  const fd = openSync(file, 'r');
  t.teardown(() => closeSync(fd));
  const node = await startPropane(t, { workers: 1, waitFor: 'nothing', env: { LISTEN_FDS: '1' }, launcher: execWithListenPid, fd3: fd });
  await refuses(t, node, new RegExp(`^${ESCAPED(`propane: PROPANE_ERR_SOCKET_ACTIVATION fd 3 from LISTEN_FDS=1 is not a socket (it is ${file}). Fix: let the service manager set LISTEN_FDS and LISTEN_PID (a .socket unit), or unset them.`)}$`));
});

t.test('fd 3 a connection, as Accept=yes passes: exit 2 naming the setting', async (t) => {
  const server: Server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise((r) => server.close(r)));
  const client: Socket = await rawConnect((server.address() as { port: number }).port);
  t.teardown(() => client.destroy());
  const node = await startPropane(t, { workers: 1, waitFor: 'nothing', env: { LISTEN_FDS: '1' }, launcher: execWithListenPid, fd3: client });
  await refuses(t, node, /^propane: PROPANE_ERR_SOCKET_ACTIVATION fd 3 from LISTEN_FDS=1 is a TCP socket that is not listening \(state ESTABLISHED\): a \.socket unit with Accept=yes passes one connection per process\. Fix: set Accept=no \(the default\) in the \.socket unit\.$/);
});
