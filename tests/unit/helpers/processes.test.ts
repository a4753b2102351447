import { spawn } from 'node:child_process';
import { once } from 'node:events';
import t from 'tap';
import { identify, stillRuns, waitAllExited } from '../../helpers/processes.js';

// The teardown of every test node SIGKILLs its workers' leftovers by identity, never by a bare pid:
// a process that only shares the pid (its start time differs) must never count as still running.
t.test('a process is still running only while its pid has the start time it was first seen with', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  const id = identify(child.pid!);
  t.match(id.startTime, /^\d+$/, 'the start time comes from /proc');
  t.equal(stillRuns(id), true);
  t.equal(stillRuns({ pid: child.pid!, startTime: `${Number(id.startTime) + 1}` }), false, 'same pid, another start time: another process');
  t.equal(stillRuns({ pid: child.pid!, startTime: null }), false, 'gone when first seen: never running again');

  child.kill('SIGKILL');
  t.same(await waitAllExited([id], 5_000), [], 'once it exits, it is gone');
  t.equal(stillRuns(id), false);
});

t.test('a pid with no process has no start time', async (t) => {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  t.equal(identify(child.pid!).startTime, null);
});
