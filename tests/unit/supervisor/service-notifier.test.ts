import t from 'tap';
import type { SupervisorState } from '../../../contracts/status.js';
import { nextMessage, NOTHING_SENT, ServiceNotifier, statusLine, watchdogFromEnv, type NotifyMemory } from '../../../supervisor/service-notifier.js';
import type { SupervisorView } from '../../../supervisor/supervisor-view.js';

const PID = 4100;
const USEC = 123_456_789n;

/** Feeds nextMessage a run of (state, nodeReady, status) and returns every message it asked to send. */
function run(steps: Array<[SupervisorState, boolean, string?]>, from: NotifyMemory = NOTHING_SENT): string[][] {
  let mem = from;
  const sent: string[][] = [];
  for (const [state, nodeReady, status] of steps) {
    const { memory, fields } = nextMessage(mem, { pid: PID, state, nodeReady, status: status ?? `${state} ${String(nodeReady)}` }, USEC);
    mem = memory;
    if (fields.length > 0) sent.push(fields);
  }
  return sent;
}

const ready: NotifyMemory = { ...NOTHING_SENT, mainPidSent: true, readySent: true, status: 'running true' };

for (const c of [
  {
    name: 'MAINPID comes with the first message, READY=1 only once a worker is ready',
    steps: [['running', false], ['running', true]] as Array<[SupervisorState, boolean]>,
    from: NOTHING_SENT,
    want: [['MAINPID=4100', 'STATUS=running false'], ['READY=1', 'STATUS=running true']],
  },
  {
    name: 'READY=1 is sent once; later worker changes only update STATUS',
    steps: [['running', true, 'a'], ['running', false, 'b'], ['running', true, 'c']] as Array<[SupervisorState, boolean, string]>,
    from: ready,
    want: [['STATUS=a'], ['STATUS=b'], ['STATUS=c']],
  },
  {
    name: 'an unchanged summary sends nothing',
    steps: [['running', true]] as Array<[SupervisorState, boolean]>,
    from: ready,
    want: [],
  },
  {
    name: 'a reload is framed by RELOADING=1 with MONOTONIC_USEC and READY=1',
    steps: [['reloading', true], ['reloading', true, 'replacement ready'], ['running', true, 'done']] as Array<[SupervisorState, boolean, string?]>,
    from: ready,
    want: [['RELOADING=1', 'MONOTONIC_USEC=123456789', 'STATUS=reloading true'], ['STATUS=replacement ready'], ['READY=1', 'STATUS=done']],
  },
  {
    name: 'a reload before the node was ever ready is not announced; the first ready worker is',
    steps: [['reloading', false], ['reloading', true], ['running', true]] as Array<[SupervisorState, boolean]>,
    from: { ...NOTHING_SENT, mainPidSent: true, status: 'running false' },
    want: [['STATUS=reloading false'], ['READY=1', 'STATUS=reloading true'], ['STATUS=running true']],
  },
  {
    name: 'STOPPING=1 once when a stop begins, also in the middle of a reload',
    steps: [['reloading', true], ['draining', true], ['draining', false], ['stopping', false]] as Array<[SupervisorState, boolean]>,
    from: ready,
    want: [
      ['RELOADING=1', 'MONOTONIC_USEC=123456789', 'STATUS=reloading true'],
      ['STOPPING=1', 'STATUS=draining true'],
      ['STATUS=draining false'],
      ['STATUS=stopping false'],
    ],
  },
  {
    name: 'a start that fails before any worker was ready sends STOPPING=1 and never READY=1',
    steps: [['stopping', false]] as Array<[SupervisorState, boolean]>,
    from: NOTHING_SENT,
    want: [['MAINPID=4100', 'STOPPING=1', 'STATUS=stopping false']],
  },
]) {
  t.test(c.name, async (t) => t.same(run(c.steps, c.from), c.want));
}

/** A supervisor as statusLine reads it, as plain data. */
function view(over: { state?: SupervisorState; reason?: string | null; outcome?: string | null; met?: boolean } = {}): SupervisorView {
  return {
    state: over.state ?? 'running',
    config: { runtimeLimits: { maxConcurrentHTTPSessions: 256, maxConcurrentWebSocketSessions: 64 } },
    sessions: { total: () => ({ http: 3, websocket: 1 }) },
    pool: {
      slots: [
        { retired: false, shownState: 'ready', crashLooping: false },
        { retired: false, shownState: 'crash_loop', crashLooping: true },
        { retired: true, shownState: 'exited', crashLooping: false },
      ],
      workers: () => [],
    },
    clusterState: { cluster: { quorum: over.met === false ? { status: 'degraded', met: false } : { status: 'single_node', met: true } } },
    reloads: { last: over.outcome === undefined ? null : { outcome: over.outcome, reason: over.reason ?? null } },
  } as unknown as SupervisorView;
}

t.test('the status line sums up workers, sessions against limits, quorum and the last reload', async (t) => {
  t.equal(statusLine(view()), 'running: 1/2 workers ready (1 crash-looping), sessions http 3/256 websocket 1/64, quorum single_node');
  t.equal(statusLine(view({ met: false, outcome: 'completed' })), 'running: 1/2 workers ready (1 crash-looping), sessions http 3/256 websocket 1/64, quorum degraded (not met), last reload completed');
});

t.test('the status line stays one line whatever a reload reason holds', async (t) => {
  const line = statusLine(view({ outcome: 'aborted', reason: 'slot 0: replacement pid 7 load failed: boom\nREADY=1\r\nSTOPPING=1' }));
  t.equal(line.endsWith('last reload aborted: slot 0: replacement pid 7 load failed: boom READY=1 STOPPING=1'), true, line);
  t.notMatch(line, /[\r\n]/);
  const long = statusLine(view({ outcome: 'aborted', reason: 'x'.repeat(500) }));
  t.ok(long.endsWith(`: ${'x'.repeat(160)}...`), 'a long reason is cut');
});

for (const c of [
  { name: 'no WATCHDOG_USEC: no watchdog, nothing to say', env: {}, want: { intervalMs: null, problem: null } },
  { name: 'pings at half of WATCHDOG_USEC', env: { WATCHDOG_USEC: '10000000' }, want: { intervalMs: 5000, problem: null } },
  { name: 'WATCHDOG_PID naming this process is honoured', env: { WATCHDOG_USEC: '400000', WATCHDOG_PID: String(PID) }, want: { intervalMs: 200, problem: null } },
  { name: 'a tiny WATCHDOG_USEC pings no more often than every 50 ms', env: { WATCHDOG_USEC: '1' }, want: { intervalMs: 50, problem: null } },
  { name: 'a huge WATCHDOG_USEC stays within what a timer can wait', env: { WATCHDOG_USEC: '99999999999999' }, want: { intervalMs: 2 ** 31 - 1, problem: null } },
]) {
  t.test(c.name, async (t) => t.same(watchdogFromEnv(c.env, PID), c.want));
}

for (const c of [
  { name: 'WATCHDOG_USEC=0 is refused', env: { WATCHDOG_USEC: '0' }, problem: /^WATCHDOG_USEC="0" is not a positive number of microseconds/ },
  { name: 'junk WATCHDOG_USEC is refused', env: { WATCHDOG_USEC: '10s' }, problem: /^WATCHDOG_USEC="10s" is not a positive number/ },
  { name: 'a negative WATCHDOG_USEC is refused', env: { WATCHDOG_USEC: '-5' }, problem: /^WATCHDOG_USEC="-5"/ },
  { name: "another process's WATCHDOG_PID means no pings here", env: { WATCHDOG_USEC: '400000', WATCHDOG_PID: '1' }, problem: /^WATCHDOG_PID="1" is not this process \(4100\)/ },
]) {
  t.test(c.name, async (t) => {
    const got = watchdogFromEnv(c.env, PID);
    t.equal(got.intervalMs, null);
    t.match(got.problem, c.problem);
  });
}

t.test('the notifier pings the watchdog from its own timer and stops on close', async (t) => {
  const sent: string[][] = [];
  let closed = 0;
  const notifier = new ServiceNotifier({ send: (f) => void sent.push([...f]), close: async () => void closed++ }, PID, 20);
  notifier.watch(view());
  await new Promise((r) => setTimeout(r, 200));
  await notifier.close();
  const pings = sent.filter((f) => f.length === 1 && f[0] === 'WATCHDOG=1').length;
  t.ok(pings >= 2, `${pings} pings in 200 ms at a 20 ms interval`);
  const after = sent.length;
  await new Promise((r) => setTimeout(r, 100));
  t.equal(sent.length, after, 'nothing after close');
  t.equal(closed, 1);
  notifier.changed();
  t.equal(sent.length, after, 'a change after close sends nothing');
});
