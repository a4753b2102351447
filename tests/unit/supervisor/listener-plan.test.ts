import t from 'tap';
import { assignListeners, planSockets, type PlannedSocket, type PlannedWorker } from '../../../supervisor/listener-plan.js';

const socket = (id: number, owner: number | null, listening = true): PlannedSocket => ({ id, owner, listening });
const worker = (id: number, slot: number, state: PlannedWorker['state'] = 'ready', asked = true): PlannedWorker => ({ id, slot, state, asked });

for (const c of [
  { name: 'at start every slot needs a socket bound', sockets: [], active: [0, 1, 2], migrates: false, owners: [], bind: [0, 1, 2], close: [] },
  { name: 'slots that own a socket keep it', sockets: [socket(0, 0), socket(1, 1)], active: [0, 1], migrates: false, owners: [[0, 0], [1, 1]], bind: [], close: [] },
  { name: 'a retired slot’s socket is kept without an owner at tcp_migrate_req 0', sockets: [socket(0, 0), socket(1, 1), socket(2, 2)], active: [0, 1], migrates: false, owners: [[0, 0], [1, 1], [2, null]], bind: [], close: [] },
  { name: 'a retired slot’s socket closes at tcp_migrate_req 1', sockets: [socket(0, 0), socket(1, 1), socket(2, 2)], active: [0, 1], migrates: true, owners: [[0, 0], [1, 1]], bind: [], close: [2] },
  { name: 'an ownerless socket kept at 0 closes once the sysctl is 1', sockets: [socket(0, 0), socket(2, null)], active: [0], migrates: true, owners: [[0, 0]], bind: [], close: [2] },
  { name: 'an added slot takes an ownerless socket before one is bound', sockets: [socket(0, 0), socket(2, null)], active: [0, 3], migrates: false, owners: [[0, 0], [2, 3]], bind: [], close: [] },
  { name: 'added slots beyond the ownerless sockets get new ones', sockets: [socket(0, 0), socket(2, null)], active: [0, 3, 4], migrates: false, owners: [[0, 0], [2, 3]], bind: [4], close: [] },
  { name: 'a slot whose bind failed before gets one bound now', sockets: [socket(0, 0)], active: [0, 1], migrates: true, owners: [[0, 0]], bind: [1], close: [] },
] as const) {
  t.test(c.name, async (t) => {
    const plan = planSockets(c.sockets, c.active, c.migrates);
    t.same([...plan.owners].sort((a, b) => a[0] - b[0]), c.owners, 'owners');
    t.same(plan.bind, c.bind, 'bind');
    t.same(plan.close, c.close, 'close');
  });
}

const holders = (m: ReturnType<typeof assignListeners>): Record<number, { holders: number[]; adopter: number | null }> =>
  Object.fromEntries([...m].map(([id, a]) => [id, { holders: [...a.holders].sort((x, y) => x - y), adopter: a.adopter }]));

for (const c of [
  {
    name: 'each ready worker accepts on its slot’s socket, and nothing is adopted',
    sockets: [socket(0, 0), socket(1, 1)], workers: [worker(10, 0), worker(11, 1)], adopters: [],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [11], adopter: null } },
  },
  {
    name: 'a worker that has not asked yet gets nothing: a handle sent before its message listener exists is lost',
    sockets: [socket(0, 0), socket(1, 1, false)], workers: [worker(10, 0), worker(11, 1, 'starting', false)], adopters: [],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [], adopter: null } },
  },
  {
    name: 'a socket no worker ever listened on is not adopted: no connection queues there',
    sockets: [socket(0, 0), socket(1, 1, false)], workers: [worker(10, 0)], adopters: [],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [], adopter: null } },
  },
  {
    name: 'a replacement that asked accepts beside the old worker of its slot; nothing is adopted',
    sockets: [socket(0, 0)], workers: [worker(10, 0), worker(12, 0, 'starting')], adopters: [],
    want: { 0: { holders: [10, 12], adopter: null } },
  },
  {
    name: 'a draining worker accepts on nothing: it closed its copies',
    sockets: [socket(0, 0)], workers: [worker(10, 0, 'draining'), worker(12, 0)], adopters: [],
    want: { 0: { holders: [12], adopter: null } },
  },
  {
    name: 'a slot whose worker died has its socket adopted by a ready worker',
    sockets: [socket(0, 0), socket(1, 1)], workers: [worker(10, 0)], adopters: [],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [10], adopter: 10 } },
  },
  {
    name: 'while the respawned worker starts, the adopter keeps the socket and the newcomer accepts beside it',
    sockets: [socket(0, 0), socket(1, 1)], workers: [worker(10, 0), worker(13, 1, 'starting')], adopters: [[1, 10]],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [10, 13], adopter: 10 } },
  },
  {
    name: 'once the slot’s worker is ready, the adopter hands the socket back',
    sockets: [socket(0, 0), socket(1, 1)], workers: [worker(10, 0), worker(13, 1)], adopters: [[1, 10]],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [13], adopter: null } },
  },
  {
    name: 'orphans go to the ready workers accepting on the fewest sockets',
    sockets: [socket(0, 0), socket(1, 1), socket(2, 2), socket(3, 3)], workers: [worker(10, 0), worker(11, 1)], adopters: [],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [11], adopter: null }, 2: { holders: [10], adopter: 10 }, 3: { holders: [11], adopter: 11 } },
  },
  {
    name: 'an adopter keeps its socket while it can, rather than moving it to the least loaded',
    sockets: [socket(0, 0), socket(1, 1), socket(2, 2), socket(3, 3)], workers: [worker(10, 0), worker(11, 1)], adopters: [[2, 11], [3, 11]],
    want: { 0: { holders: [10], adopter: null }, 1: { holders: [11], adopter: null }, 2: { holders: [11], adopter: 11 }, 3: { holders: [11], adopter: 11 } },
  },
  {
    name: 'an adopter that drains loses its adoptions to a ready worker',
    sockets: [socket(0, 0), socket(1, 1), socket(2, 2)], workers: [worker(10, 0, 'draining'), worker(11, 1), worker(12, 2, 'starting')], adopters: [[2, 10]],
    want: { 0: { holders: [11], adopter: 11 }, 1: { holders: [11], adopter: null }, 2: { holders: [11, 12], adopter: 11 } },
  },
  {
    name: 'a retired slot’s kept socket is adopted for good',
    sockets: [socket(0, 0), socket(2, null)], workers: [worker(10, 0)], adopters: [],
    want: { 0: { holders: [10], adopter: null }, 2: { holders: [10], adopter: 10 } },
  },
  {
    name: 'with no ready worker at all, nothing is adopted: connections wait in the queue for the first',
    sockets: [socket(0, 0), socket(1, 1)], workers: [worker(12, 0, 'starting')], adopters: [[1, 10]],
    want: { 0: { holders: [12], adopter: null }, 1: { holders: [], adopter: null } },
  },
] as const) {
  t.test(c.name, async (t) => {
    t.same(holders(assignListeners(c.sockets, c.workers, new Map(c.adopters))), c.want);
  });
}
