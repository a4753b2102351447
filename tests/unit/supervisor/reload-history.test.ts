import t from 'tap';
import { ReloadHistory } from '../../../supervisor/reload-history.js';

const at = new Date('2026-01-01T00:00:00.000Z');

t.test('a reload in progress shows its start and no outcome', async (t) => {
  const h = new ReloadHistory();
  h.begin(at);
  t.equal(h.inProgress, true);
  t.same(h.last, { started_at: at.toISOString(), finished_at: null, outcome: null, reason: null });
});

t.test('a refusal during a reload is counted but does not hide the running reload', async (t) => {
  const h = new ReloadHistory();
  h.begin(at);
  const refused = h.refused(new Date(), 'busy');
  t.match(refused, { outcome: 'refused', reason: 'busy' });
  t.equal(h.counts.refused, 1);
  t.equal(h.last?.started_at, at.toISOString());
  t.equal(h.last?.outcome, null);
});

t.test('a refusal while idle becomes the last reload', async (t) => {
  const h = new ReloadHistory();
  h.refused(at, 'invalid config');
  t.same(h.last, { started_at: at.toISOString(), finished_at: h.last?.finished_at, outcome: 'refused', reason: 'invalid config' });
  t.equal(h.inProgress, false);
});

t.test('a finished reload is recorded with its outcome and its duration in seconds', async (t) => {
  const h = new ReloadHistory();
  h.begin(at);
  const record = { started_at: at.toISOString(), finished_at: at.toISOString(), outcome: 'aborted' as const, reason: 'slot 0: boom' };
  h.record(record, 2500);
  h.end();
  t.equal(h.inProgress, false);
  t.same(h.last, record);
  t.same(h.counts, { completed: 0, refused: 0, aborted: 1 });
  t.same(h.durationsSeconds, [2.5]);
});
