import t from 'tap';
import { StartOutcome } from '../../../supervisor/start-outcome.js';
import { logSink } from '../../helpers/log-sink.js';

t.test('the first ready worker makes the node serve: one listening line with its URL', async (t) => {
  const { log, lines } = logSink();
  const start = new StartOutcome(log, { host: '127.0.0.1', port: 8443, secure: true });
  start.workerReady();
  start.workerReady();
  const listening = lines.filter((l) => l.event === 'listening');
  t.equal(listening.length, 1);
  t.match(listening[0], { host: '127.0.0.1', port: 8443, url: 'https://127.0.0.1:8443', msg: 'serving on https://127.0.0.1:8443' });
});

t.test('only a listen error no respawn fixes, before the node ever served, fails the start', async (t) => {
  const fresh = (): StartOutcome => new StartOutcome(logSink().log, { host: '0.0.0.0', port: 80, secure: false });
  for (const code of ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'EINVAL']) {
    const err = fresh().fatalBootFailure('listen', code);
    t.equal(err?.code, 'PROPANE_ERR_LISTEN', code);
    t.equal(err?.message, `cannot listen on 0.0.0.0:80: ${code}. Fix: stop what holds the port, or choose another with --port.`);
  }
  t.equal(fresh().fatalBootFailure('listen', 'EMFILE'), null, 'a respawn may fix EMFILE');
  t.equal(fresh().fatalBootFailure('listen', undefined), null);
  t.equal(fresh().fatalBootFailure('load', 'EADDRINUSE'), null, 'an app error is a crash loop, not a failed start');
  const serving = fresh();
  serving.workerReady();
  t.equal(serving.fatalBootFailure('listen', 'EADDRINUSE'), null, 'once the node serves, a failing replacement never stops it');
});
