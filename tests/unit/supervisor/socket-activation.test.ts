import { tmpdir } from 'node:os';
import t from 'tap';
import { loadConfig, type LoadOptions } from '../../../shared/config/load.js';
import { PropaneError } from '../../../shared/errors.js';
import { checkSchedulingPolicy, describeUnusableFd, findAddressConflicts, readListenEnv } from '../../../supervisor/socket-activation.js';

const PID = 4242;

for (const c of [
  { name: 'no variables: nothing to do', env: {}, want: { kind: 'absent' } },
  { name: 'one socket for this process, with its name', env: { LISTEN_FDS: '1', LISTEN_PID: '4242', LISTEN_FDNAMES: 'http' }, want: { kind: 'inherit', name: 'http' } },
  { name: 'one socket without LISTEN_FDNAMES', env: { LISTEN_FDS: '1', LISTEN_PID: '4242' }, want: { kind: 'inherit', name: null } },
  { name: 'another process\'s LISTEN_PID: ignored, as sd_listen_fds ignores it', env: { LISTEN_FDS: '1', LISTEN_PID: '1' }, want: { kind: 'ignored', reason: 'LISTEN_PID=1 is not this process (4242): the sockets were passed to another one' } },
  { name: 'LISTEN_FDS without LISTEN_PID: ignored', env: { LISTEN_FDS: '1' }, want: { kind: 'ignored', reason: 'LISTEN_FDS=1 is set without LISTEN_PID' } },
  { name: 'LISTEN_PID without LISTEN_FDS: ignored', env: { LISTEN_PID: '4242' }, want: { kind: 'ignored', reason: 'LISTEN_PID=4242 is set without LISTEN_FDS' } },
  { name: 'LISTEN_FDS=0: nothing passed, ignored', env: { LISTEN_FDS: '0', LISTEN_PID: '4242' }, want: { kind: 'ignored', reason: 'LISTEN_FDS=0: no socket was passed' } },
]) {
  t.test(`readListenEnv: ${c.name}`, async (t) => t.same(readListenEnv(c.env, PID), c.want));
}

for (const c of [
  { name: 'two sockets', env: { LISTEN_FDS: '2', LISTEN_PID: '4242', LISTEN_FDNAMES: 'http:admin' }, msg: 'LISTEN_FDS=2 (LISTEN_FDNAMES=http:admin): propane serves on exactly one inherited listening socket. Fix: give its .socket unit a single ListenStream=, or start propane without socket activation.' },
  { name: 'a LISTEN_FDS that is no count', env: { LISTEN_FDS: 'x', LISTEN_PID: '4242' }, msg: 'LISTEN_FDS="x" is not a number of file descriptors. Fix: let the service manager set LISTEN_FDS, or unset it.' },
]) {
  t.test(`readListenEnv refuses ${c.name} (exit 2)`, async (t) => {
    t.throws(() => readListenEnv(c.env, PID), { code: 'PROPANE_ERR_SOCKET_ACTIVATION', exitCode: 2, message: c.msg });
  });
}

const load = (flags: LoadOptions['flags'] = {}) => loadConfig({ cwd: tmpdir(), env: {}, flags });

t.test('checkSchedulingPolicy: none serves; round_robin and reuse_port are refused, naming their source', async (t) => {
  const none = load();
  t.doesNotThrow(() => checkSchedulingPolicy(none.config, none.sources));
  const rr = load({ schedulingPolicy: 'round_robin' });
  t.throws(() => checkSchedulingPolicy(rr.config, rr.sources), { code: 'PROPANE_ERR_SOCKET_ACTIVATION', message: /^propane\.schedulingPolicy is round_robin from --scheduling-policy, which cannot serve on an inherited socket: the supervisor would accept .+\. Fix: set it to none/ });
  // Built, not loaded: on Node.js 20 the loader itself refuses reuse_port.
  const reusePort = { ...none.config, propane: { ...none.config.propane, schedulingPolicy: 'reuse_port' as const } };
  t.throws(() => checkSchedulingPolicy(reusePort, new Map([['propane.schedulingPolicy', 'config file /etc/propane.json']])), {
    message: /^propane\.schedulingPolicy is reuse_port from config file \/etc\/propane\.json, which cannot serve on an inherited socket: it gives every worker a SO_REUSEPORT socket of its own/,
  });
});

t.test('describeUnusableFd names each problem and its fix, and nothing for a listening TCP socket', async (t) => {
  t.equal(describeUnusableFd(3, { kind: 'tcp_listening' }), null);
  t.match(describeUnusableFd(3, { kind: 'closed' }), /^fd 3 from LISTEN_FDS=1 is not open\. Fix: /);
  t.match(describeUnusableFd(3, { kind: 'not_socket', target: '/dev/null' }), /^fd 3 from LISTEN_FDS=1 is not a socket \(it is \/dev\/null\)\. Fix: /);
  t.match(describeUnusableFd(3, { kind: 'tcp_not_listening', state: 'ESTABLISHED' }), /state ESTABLISHED\): a \.socket unit with Accept=yes .+ Fix: set Accept=no/);
  t.match(describeUnusableFd(3, { kind: 'udp' }), /UDP socket.+Fix: use ListenStream= instead of ListenDatagram=/);
  t.match(describeUnusableFd(3, { kind: 'other_socket' }), /not a TCP one of this network namespace.+PrivateNetwork=yes.+Fix: give the \.socket unit ListenStream=ADDRESS:PORT, and do not set PrivateNetwork=yes on the service\.$/);
});

const AT = { address: '127.0.0.1', port: 3000 };
for (const c of [
  { name: 'host and port unset: the socket decides', flags: {}, addresses: null, want: [] },
  { name: 'the same port, explicit', flags: { port: '3000' }, addresses: null, want: [] },
  { name: 'port 0 asks for any port', flags: { port: '0' }, addresses: null, want: [] },
  { name: 'a host that resolves to the socket\'s address among others', flags: { host: 'localhost' }, addresses: ['::1', '127.0.0.1'], want: [] },
  { name: 'another port', flags: { port: '8080' }, addresses: null, want: ['port is 8080 from --port, but the listening socket passed as fd 3 (LISTEN_FDS) is bound to 127.0.0.1:3000. Fix: leave port unset (the socket decides), set it to 3000, or change ListenStream= in the .socket unit.'] },
  { name: 'another host', flags: { host: '0.0.0.0' }, addresses: ['0.0.0.0'], want: ['host is 0.0.0.0 (which is 0.0.0.0) from --host, but the listening socket passed as fd 3 (LISTEN_FDS) is bound to 127.0.0.1:3000. Fix: leave host unset (the socket decides), set it to 127.0.0.1, or change ListenStream= in the .socket unit.'] },
  { name: 'a host that does not resolve', flags: { host: 'nowhere.invalid' }, addresses: [], want: [/^host is nowhere\.invalid \(which does not resolve\) from --host/] },
  { name: 'both, each reported', flags: { host: '10.0.0.1', port: '1' }, addresses: ['10.0.0.1'], want: [/^port is 1 from --port/, /^host is 10\.0\.0\.1/] },
]) {
  t.test(`findAddressConflicts: ${c.name}`, async (t) => {
    const { config, sources } = load(c.flags);
    const found = findAddressConflicts(config, sources, AT, c.addresses);
    t.ok(found.every((e) => e instanceof PropaneError && e.code === 'PROPANE_ERR_SOCKET_ACTIVATION'));
    t.match(found.map((e) => e.message), c.want);
    t.equal(found.length, c.want.length);
  });
}
