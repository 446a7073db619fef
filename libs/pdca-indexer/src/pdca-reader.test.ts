import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, inject } from 'vitest';
import { readTextDocument } from './pdca-reader.js';
/** Root runs the permission check as "nobody", which must be able to reach this checkout (tools/test/as-nobody.ts). */
const cannotRunAsNobody = inject('asNobodyBlocked') !== '';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'web4-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('readTextDocument', () => {
  it('reads UTF-8 text and hashes it', () => {
    const r = readTextDocument(file('ok.md', '# Größe ✓\n'), 1_000_000);
    expect(r.ok && r.text).toBe('# Größe ✓\n');
    expect(r.ok && r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses an empty file', () => {
    const r = readTextDocument(file('empty.md', ''), 1_000_000);
    expect(r).toMatchObject({ ok: false, kind: 'empty' });
  });

  it('refuses binary content and names the NUL byte', () => {
    const r = readTextDocument(file('bin.md', Buffer.from([0x23, 0x20, 0x00, 0x01, 0xff])), 1_000_000);
    expect(r).toMatchObject({ ok: false, kind: 'binary' });
    expect(!r.ok && r.reason).toContain('offset 2');
  });

  it('refuses invalid UTF-8 and says where and how to convert', () => {
    const r = readTextDocument(file('latin1.md', Buffer.concat([Buffer.from('# Gr'), Buffer.from([0xf6]), Buffer.from('sse\n')])), 1_000_000);
    expect(r).toMatchObject({ ok: false, kind: 'invalid_utf8' });
    expect(!r.ok && r.reason).toContain('offset 4');
    expect(!r.ok && r.reason).toContain('iconv');
  });

  it('refuses a 50 MB file without reading it', () => {
    const p = file('huge.md', '');
    truncateSync(p, 50 * 1024 * 1024);
    const started = performance.now();
    const r = readTextDocument(p, 5_000_000);
    expect(r).toMatchObject({ ok: false, kind: 'too_large' });
    expect(!r.ok && r.reason).toContain('52.4 MB');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it.skipIf(cannotRunAsNobody)('reports a file it cannot read', () => {
    const sub = join(dir, 'locked');
    mkdirSync(sub);
    chmodSync(dir, 0o755);
    chmodSync(sub, 0o755);
    const p = join(sub, 'secret.md');
    writeFileSync(p, '# s');
    chmodSync(p, 0o000);
    let r: ReturnType<typeof readTextDocument>;
    if (process.getuid?.() === 0) {
      // Root reads mode-000 files, so the check runs the reader in a child process as "nobody",
      // where the permission applies for real.
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', `import { readTextDocument } from ${JSON.stringify(join(here, 'pdca-reader.ts'))}; console.log(JSON.stringify(readTextDocument(process.argv[1], 1e6)))`, p],
        { uid: 65534, gid: 65534, encoding: 'utf8', cwd: join(here, '../../..') },
      );
      expect(child.status, child.stderr).toBe(0);
      r = JSON.parse(child.stdout) as typeof r;
    } else {
      r = readTextDocument(p, 1_000_000);
    }
    expect(r).toMatchObject({ ok: false, kind: 'unreadable' });
    expect(!r.ok && r.reason).toContain('EACCES');
    expect(!r.ok && r.reason).toContain('chmod u+r');
  });
});
