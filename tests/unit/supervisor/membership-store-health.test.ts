import t from 'tap';
import { PropaneError } from '../../../shared/errors.js';
import { StoreHealth } from '../../../supervisor/membership/store-health.js';
import { logSink } from '../../helpers/log-sink.js';

const KEY = '/propane/prod/nodes/web-1';

t.test('the store is lost once no endpoint answered for longer than leaseSeconds', async (t) => {
  const { log } = logSink();
  const health = new StoreHealth(['http://127.0.0.1:2379'], 2, log);
  health.answered();
  const now = performance.now();
  t.equal(health.isLost(now + 1_000), false);
  t.equal(health.isLost(now + 2_500), true);
});

t.test('lost and restored are each logged once per episode', async (t) => {
  const { log, lines } = logSink();
  const health = new StoreHealth(['http://127.0.0.1:2379'], 2, log);
  health.connected(KEY);
  health.reportLost('no answer');
  health.reportLost('still no answer');
  health.connected(KEY);
  health.connected(KEY);
  health.reportLost('again');
  t.same(lines.map((l) => [l.event, l.reason ?? l.node_key]), [
    ['membership_store_lost', 'no answer'],
    ['membership_store_restored', KEY],
    ['membership_store_lost', 'again'],
  ]);
  t.match(lines[0], { level: 40, endpoints: ['http://127.0.0.1:2379'], lease_seconds: 2 });
});

t.test('a taken node id is logged once until a session opens again', async (t) => {
  const { log, lines } = logSink();
  const health = new StoreHealth([], 2, log);
  const err = new PropaneError('PROPANE_ERR_NODE_ID_TAKEN', 'taken');
  health.reportTaken(err, KEY);
  health.reportTaken(err, KEY);
  health.connected(KEY);
  health.reportTaken(err, KEY);
  t.same(lines.map((l) => [l.event, l.code, l.node_key]), [
    ['membership_node_id_taken', 'PROPANE_ERR_NODE_ID_TAKEN', KEY],
    ['membership_node_id_taken', 'PROPANE_ERR_NODE_ID_TAKEN', KEY],
  ]);
});
