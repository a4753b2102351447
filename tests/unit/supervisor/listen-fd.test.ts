import t from 'tap';
import { classifyFd } from '../../../supervisor/listen-fd.js';

// Rows as Linux prints them in /proc/net/tcp and /proc/net/udp (the header, then sl, local, remote, st, ..., inode).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  123: 0100007F:0BB8 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4444 2 0000000000000000 0
`;

for (const c of [
  { name: 'a listening TCP socket (state 0A)', target: 'socket:[4242]', want: { kind: 'tcp_listening' } },
  { name: 'a TCP connection, with its state named', target: 'socket:[4343]', want: { kind: 'tcp_not_listening', state: 'ESTABLISHED' } },
  { name: 'a UDP socket', target: 'socket:[4444]', want: { kind: 'udp' } },
  { name: 'a socket in neither table (a unix socket)', target: 'socket:[4545]', want: { kind: 'other_socket' } },
  { name: 'an inode that only prefixes a listed one', target: 'socket:[424]', want: { kind: 'other_socket' } },
  { name: 'a file, named by its path', target: '/dev/null', want: { kind: 'not_socket', target: '/dev/null' } },
  { name: 'a pipe', target: 'pipe:[77]', want: { kind: 'not_socket', target: 'pipe:[77]' } },
]) {
  t.test(`classifies ${c.name}`, async (t) => t.same(classifyFd(c.target, TCP, UDP), c.want));
}

t.test('a TCP state the table does not name is shown as the kernel prints it', async (t) => {
  t.same(classifyFd('socket:[9]', '   0: 0100007F:0BB8 00000000:0000 0c 00000000:00000000 00:00000000 00000000     0        0 9 1\n', ''), { kind: 'tcp_not_listening', state: '0C' });
});
