import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readTcpMigrateReq } from '../../../supervisor/tcp-migrate-req.js';
import { tempDir } from '../../helpers/temp.js';

const dir = tempDir(t);

for (const c of [
  { name: '0 as the kernel writes it', text: '0\n', want: 0 },
  { name: '1 as the kernel writes it', text: '1\n', want: 1 },
  { name: 'a value the sysctl cannot hold', text: '2\n', want: null },
  { name: 'anything else', text: 'x', want: null },
  { name: 'an empty file', text: '', want: null },
]) {
  t.test(`reads ${c.name} as ${String(c.want)}`, async (t) => {
    const file = join(dir, `sysctl-${c.name.replaceAll(' ', '-')}`);
    writeFileSync(file, c.text);
    t.equal(readTcpMigrateReq(file), c.want);
  });
}

t.test('a missing sysctl (not Linux, a kernel before 5.14) reads as null', async (t) => {
  t.equal(readTcpMigrateReq(join(dir, 'does-not-exist')), null);
});
