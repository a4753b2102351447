import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';
import { killOnExit } from './processes.js';
import { tempSocketPath } from './temp.js';
import { within } from './wait.js';

/** One datagram the service manager's end of NOTIFY_SOCKET received. */
export interface Datagram {
  payload: string;
  /** The sender's pid from SCM_CREDENTIALS. */
  pid: number | null;
  nfds: number;
  /** CLOCK_MONOTONIC at receipt, in microseconds. */
  monotonic_usec: number;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

const SCRIPT = join(ROOT, 'tests/helpers/notify-receiver.py');

/**
 * A fake service manager for the sd_notify tests: tests/helpers/notify-receiver.py
 * bound on a fresh socket (Node cannot bind a unix datagram socket). Pass
 * `socket` as NOTIFY_SOCKET; every datagram lands in `datagrams`.
 */
export class NotifyReceiver {
  readonly socket = tempSocketPath();
  readonly datagrams: Datagram[] = [];
  #waiters: Array<() => void> = [];

  /** Every datagram's fields but BARRIER=1, which systemd-notify adds after each message to wait for the manager. */
  get messages(): string[][] {
    return this.datagrams.map((d) => d.payload.split('\n')).filter((f) => !(f.length === 1 && f[0] === 'BARRIER=1'));
  }

  /** The state messages: each message's fields without STATUS= and WATCHDOG=1; messages left empty are dropped. */
  get stateMessages(): string[][] {
    return this.messages.map((f) => f.filter((x) => !x.startsWith('STATUS=') && x !== 'WATCHDOG=1')).filter((f) => f.length > 0);
  }

  /** How many WATCHDOG=1 pings arrived so far. */
  get pings(): number {
    return this.messages.filter((f) => f.includes('WATCHDOG=1')).length;
  }

  /** The STATUS= value sent with the first message whose fields include `field`, from message `from` on. */
  statusWith(field: string, from = 0): string | undefined {
    return this.messages.slice(from).find((f) => f.includes(field))?.find((x) => x.startsWith('STATUS='))?.slice('STATUS='.length);
  }

  /** Resolves once `done()` holds; rejects after timeoutMs with what arrived. */
  async waitFor(done: () => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the notify socket did not receive what was expected within ${timeoutMs} ms; got:\n${this.datagrams.map((d) => JSON.stringify(d.payload)).join('\n')}`);
      await within(new Promise<void>((resolve) => this.#waiters.push(resolve)), left);
    }
  }

  push(d: Datagram): void {
    this.datagrams.push(d);
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** Starts a receiver for `t`; its teardown stops the helper and removes the socket. */
export async function startNotifyReceiver(t: Teardown): Promise<NotifyReceiver> {
  const receiver = new NotifyReceiver();
  const proc = killOnExit(spawn('python3', [SCRIPT, receiver.socket], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  t.teardown(async () => {
    proc.kill('SIGKILL');
    await exited;
    rmSync(receiver.socket, { force: true });
  });
  let bound!: () => void;
  const isBound = new Promise<true>((resolve) => (bound = () => resolve(true)));
  let buffered = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, nl)) as Datagram | { bound: true };
      buffered = buffered.slice(nl + 1);
      if ('bound' in line) bound();
      else receiver.push(line);
    }
  });
  if (!(await within(isBound, 10_000))) throw new Error(`${SCRIPT} did not bind ${receiver.socket} within 10 s`);
  return receiver;
}
