import t from 'tap';
import type { SupervisorToWorker } from '../../../contracts/ipc.js';
import { HeartbeatMonitor } from '../../../supervisor/heartbeat-monitor.js';
import type { ProcessState, WorkerProcess } from '../../../supervisor/worker-process.js';
import { logSink } from '../../helpers/log-sink.js';
import { sleep } from '../../helpers/wait.js';

/** A worker as the monitor sees it; `kill` and `send` are recorded. */
function worker(slot: number, state: ProcessState, silentMs: number) {
  const sent: SupervisorToWorker[] = [];
  const wp = {
    slot,
    pid: 4100 + slot,
    state,
    isAlive: true,
    cause: null as WorkerProcess['cause'],
    lastAckAtMs: performance.now() - silentMs,
    kills: 0,
    sent,
    send: (msg: SupervisorToWorker) => sent.push(msg),
    kill() {
      this.kills++;
    },
  };
  return wp;
}

t.test('heartbeats the live workers, SIGKILLs the hung one once, and leaves booting workers alone', async (t) => {
  const { log, lines } = logSink();
  const fresh = worker(0, 'ready', 0);
  const hung = worker(1, 'ready', 10_000);
  const booting = worker(2, 'starting', 10_000);
  const slots = [{ hungKills: 0 }, { hungKills: 0 }, { hungKills: 0 }];
  let ticks = 0;
  const monitor = new HeartbeatMonitor({
    log,
    workerTimeoutSeconds: () => 0.2,
    workers: () => [fresh, hung, booting] as unknown as WorkerProcess[],
    slotOf: (wp) => slots[wp.slot],
    afterTick: () => ticks++,
  });
  t.teardown(() => monitor.close());
  monitor.start();
  for (let i = 0; i < 100 && ticks < 2; i++) await sleep(20);
  monitor.close();
  t.ok(ticks >= 2, 'afterTick runs after every round');
  t.ok(fresh.sent.length >= 2 && fresh.sent.every((m) => m.type === 'heartbeat'), 'the answering worker gets heartbeats');
  t.equal(fresh.kills, 0);
  t.equal(hung.kills, 1, 'the hung worker is killed once, not at every tick');
  t.equal(hung.cause, 'killed_hung');
  t.same(hung.sent, [], 'a hung worker gets no more heartbeats');
  t.same(slots.map((s) => s.hungKills), [0, 1, 0]);
  t.same(booting.sent, [], 'a booting worker is the ready timeout\'s business');
  t.equal(booting.kills, 0);
  const hungLines = lines.filter((l) => l.event === 'worker_hung');
  t.equal(hungLines.length, 1);
  t.match(hungLines[0], { level: 50, slot: 1, worker_pid: 4101, timeout_seconds: 0.2 });
});
