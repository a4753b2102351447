import t from 'tap';
import { isCompleteResponse, rawConnect, readUntil, statusOf } from '../helpers/http.js';
import { startPropane } from '../helpers/propane.js';
import { sleep } from '../helpers/wait.js';

// systemd's default KillMode=control-group sends SIGTERM to the supervisor and every worker at once.
t.test('SIGTERM to the whole process group still drains gracefully: the in-flight request completes, exit 0', async (t) => {
  const node = await startPropane(t, { workers: 2, detached: true, args: ['--graceful-shutdown-seconds', '10'] });
  const slow = await rawConnect(node.port);
  t.teardown(() => slow.destroy());
  slow.write('GET /slow?ms=2000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const reply = readUntil(slow, isCompleteResponse, 15_000);
  await sleep(300);

  process.kill(-node.pid, 'SIGTERM');
  const text = await reply;
  if (statusOf(text) !== 200) t.comment(node.logs.slice(-20).map((l) => JSON.stringify(l)).join('\n'));
  t.equal(statusOf(text), 200, 'the request started before the signal completes');
  t.match(text, /\r\nConnection: close\r\n/i);
  t.same(await node.exited, { code: 0, signal: null });
  const result = await node.stop();
  t.same(result.leftovers, []);
});
