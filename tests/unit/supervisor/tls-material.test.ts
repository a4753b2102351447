import t from 'tap';
import type { Config } from '../../../contracts/config.js';
import type { SupervisorToWorker } from '../../../contracts/ipc.js';
import type { LoadedConfig } from '../../../shared/config/load.js';
import type { TlsMaterial } from '../../../shared/tls-files.js';
import { TICKET_KEY_ROTATION_MS, TlsMaterialStore, type TlsRecipient } from '../../../supervisor/tls-material.js';
import { logSink } from '../../helpers/log-sink.js';

// The supervisor's TLS material (docs/tls.md, "Session resumption"): what each worker was forked
// with, and the ticket keys every worker shares, rotated and sent over IPC only.

function material(name: string): TlsMaterial {
  const info = { server_name: null, subject: `CN=${name}`, sans: [], not_after: '2027-01-01T00:00:00.000Z', fingerprint_sha256: name };
  return { default: { serverName: null, cert: `cert of ${name}`, key: `key of ${name}`, info }, sni: [], ca: null };
}

function loaded(tls: TlsMaterial | null): LoadedConfig {
  return { config: { tls: Object.freeze({ requestClientCert: false, minVersion: 'TLSv1.2' }) } as unknown as Config, file: null, sources: new Map(), tls };
}

function recipient(id: number): TlsRecipient & { got: SupervisorToWorker[] } {
  const got: SupervisorToWorker[] = [];
  return { id, got, send: (msg) => void got.push(msg) };
}

function setup(first: LoadedConfig) {
  const { log, lines } = logSink();
  let n = 0;
  const store = new TlsMaterialStore(first, log, () => Buffer.alloc(48, ++n));
  t.teardown(() => store.close());
  return { store, lines };
}

t.test('the ticket keys rotate every hour', async (t) => t.equal(TICKET_KEY_ROTATION_MS, 3_600_000));

t.test('a worker gets the material of the config it was forked under and the ticket keys of now', async (t) => {
  const first = loaded(material('one'));
  const { store } = setup(first);
  t.same({ enabled: store.enabled, certificates: store.certificates }, { enabled: true, certificates: [first.tls!.default.info] });
  const w = recipient(1);
  store.assign(1);
  store.answer(w);
  t.match(w.got, [{ type: 'tls_material', default: { cert: 'cert of one', key: 'key of one' }, sni: [], ca: null, ticket_keys: { generation: 1, keys: Buffer.alloc(48, 1).toString('base64') } }]);
});

t.test('a reload: workers forked before apply keep their material, those after get the new one', async (t) => {
  const first = loaded(material('one'));
  const { store } = setup(first);
  store.assign(1);
  const next = loaded(material('two'));
  store.register(next);
  store.apply(next.config);
  store.assign(2);
  const [old, fresh] = [recipient(1), recipient(2)];
  store.answer(old);
  store.answer(fresh);
  t.match(old.got[0], { default: { cert: 'cert of one' } }, 'a worker forked before the reload keeps what it was forked with');
  t.match(fresh.got[0], { default: { cert: 'cert of two' } });
  t.equal(store.certificates[0]?.subject, 'CN=two', '/status shows the config in force');
  store.apply(first.config);
  t.equal(store.certificates[0]?.subject, 'CN=one', 'an aborted reload puts the old material back');
  t.throws(() => store.apply(loaded(material('never registered')).config), /never registered/);
});

t.test('rotation sends new keys to every TLS worker at once, and logs the generation, never the keys', async (t) => {
  const { store, lines } = setup(loaded(material('one')));
  const [a, b] = [recipient(1), recipient(2)];
  store.assign(1);
  store.assign(2);
  store.rotate([a, b]);
  store.rotate([a, b]);
  const sent = [...a.got, ...b.got];
  t.same(sent.map((m) => m.type), ['tls_ticket_keys', 'tls_ticket_keys', 'tls_ticket_keys', 'tls_ticket_keys']);
  t.same(a.got.map((m) => (m.type === 'tls_ticket_keys' ? m.ticket_keys : null)), [
    { generation: 2, keys: Buffer.alloc(48, 2).toString('base64') },
    { generation: 3, keys: Buffer.alloc(48, 3).toString('base64') },
  ]);
  t.equal(store.ticketKeyGeneration, 3);
  t.match(lines, [{ event: 'tls_ticket_keys_rotated', generation: 2, workers: 2 }, { event: 'tls_ticket_keys_rotated', generation: 3, workers: 2 }]);
  const text = JSON.stringify(lines);
  for (const n of [1, 2, 3]) t.notOk(text.includes(Buffer.alloc(48, n).toString('base64')), `generation ${n}'s keys are not in the log`);
});

t.test('without TLS nothing is sent: no material, no keys, no log line', async (t) => {
  const { store, lines } = setup(loaded(null));
  const w = recipient(1);
  store.assign(1);
  store.answer(w);
  store.rotate([w]);
  t.same(w.got, []);
  t.same(lines, []);
  t.same({ enabled: store.enabled, certificates: store.certificates }, { enabled: false, certificates: [] });
});
