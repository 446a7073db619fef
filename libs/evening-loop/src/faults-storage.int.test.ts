import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayIds, nightState } from './test-support/invariants.js';
import { smallJournal, writeJournal } from './test-support/journal.js';
import { tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * A full disk during the backup and during the trainer's export — a real one: a small tmpfs the
 * test mounts, filled up — and a damaged production adapter or manifest.
 */
function mountTmpfs(dir: string, size: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `cannot mount a tmpfs here (${(r.stderr || r.error?.message || '').trim()}): the full-disk tests need root or CAP_SYS_ADMIN`;
}

/** Fill a file system to the last block (a file that grows until ENOSPC). */
function fill(dir: string): string {
  const file = join(dir, 'filler.bin');
  spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k'], { stdio: 'ignore' });
  return file;
}

let t: TinyNight;
const mounts: string[] = [];
let blocked: string | undefined;
beforeAll(async () => {
  t = await tinyNight({ journal: smallJournal('2026-11-20', 5, 2) });
  const probe = join(t.root, 'probe-mount');
  blocked = mountTmpfs(probe, '1m');
  if (!blocked) execFileSync('umount', [probe]);
  if (blocked) process.stderr.write(`⚠️ ${blocked}\n`);
}, 300_000);
afterAll(async () => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  await t?.cleanup();
});

describe('storage faults', () => {
  it('disk full during the backup: exit 3, production and buffer untouched, no partial backup; resume completes once space is back', async (ctx) => {
    if (blocked) return ctx.skip();
    await t.index('2026-11-20');
    const first = await t.loop('2026-11-20').run(); // a production version to back up
    expect(first.status, JSON.stringify(first.error)).toBe('complete');

    const backups = join(t.root, 'backups-tmpfs');
    expect(mountTmpfs(backups, '2m')).toBeUndefined();
    mounts.push(backups);
    const filler = fill(backups);
    await t.index('2026-11-21');
    const ids = await dayIds(t, '2026-11-21');
    const config = { ...t.config(), paths: { ...t.config().paths, backupsDir: backups } };
    const out = await t.loop('2026-11-21', { config, paths: { ...t.paths(), backupsDir: backups } }).run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'backup', exitCode: 3 });
    expect(out.error!.message).toMatch(/ENOSPC|no space/i);
    expect(readdirSync(backups).filter((f) => f !== 'filler.bin'), 'a partial backup was left').toEqual([]);
    expect(t.store().models.tags().latest).toBe(first.version);
    expect((await nightState(t, ids)).waiting).toEqual(ids);

    rmSync(filler);
    const resumed = await t.loop('2026-11-21', { config, paths: { ...t.paths(), backupsDir: backups } }).resume();
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('complete');
    expect(existsSync(join(backups, 'backup_20261121_220000', 'checksums.sha256'))).toBe(true);
  }, 300_000);

  it("disk full while the trainer writes the adapter: exit 3 (the trainer's io error), nothing half-written; resume completes", async (ctx) => {
    if (blocked) return ctx.skip();
    const outputs = join(t.root, 'outputs-tmpfs');
    expect(mountTmpfs(outputs, '3m')).toBeUndefined();
    mounts.push(outputs);
    const filler = fill(outputs);
    // leave a little room: the job files fit, the merged model does not
    spawnSync('truncate', ['-s', '-200K', filler]);
    await t.index('2026-11-22');
    const ids = await dayIds(t, '2026-11-22');
    const production = t.store().models.tags().latest;
    const config = { ...t.config(), paths: { ...t.config().paths, outputsDir: outputs } };
    const paths = { ...t.paths(), outputsDir: outputs };
    const out = await t.loop('2026-11-22', { config, paths }).run();
    expect(out, JSON.stringify(out.error)).toMatchObject({ status: 'open', failedStep: 'train', exitCode: 3 });
    expect(out.error!.code).toBe('trainer_io');
    expect(readdirSync(outputs).filter((f) => f.includes('.partial-') || /^web4_balanced_lora_\d{8}_\d{6}$/.test(f))).toEqual([]);
    expect(t.store().models.tags().latest).toBe(production);
    expect((await nightState(t, ids)).waiting).toEqual(ids);
    rmSync(filler);
    const resumed = await t.loop('2026-11-22', { config, paths }).resume();
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('complete');
  }, 300_000);

  it('a damaged production adapter is restored from its backup before the night trains on it', async () => {
    // Two promoted nights: the second backs up the first's version, which a rollback makes production again.
    for (const day of ['2026-11-23', '2026-11-24']) {
      await t.index(day);
      const night = await t.loop(day).run();
      expect(night.status, JSON.stringify(night.error)).toBe('complete');
    }
    const rollback = await t.loop('2026-11-24').registry(t.store()).rollback({ reason: 'test: use the backed-up version' });
    const production = rollback.to;
    const backup = t.loop('2026-11-24').registry(t.store()).backups().find((b) => b.version === production);
    expect(backup, 'a backup of the production version').toBeDefined();
    const adapter = join(t.store().models.version(production)!.dir, 'adapter', 'adapter_model.safetensors');
    writeFileSync(adapter, 'not a safetensors file');

    writeJournal(join(t.journal, 'more'), smallJournal('2026-11-25', 1, 1));
    await t.index('2026-11-25');
    const out = await t.loop('2026-11-25').run();
    expect(out.status, JSON.stringify(out.error)).toBe('complete');
    expect(readdirSync(t.paths().outputsDir).some((f) => f.includes('.damaged-'))).toBe(true); // the damaged folder is kept aside
    expect(t.store().models.version(out.version!)!.parentVersion).toBe(production);
    expect(t.store().models.events().some((e) => e.action === 'restored' && e.version === production)).toBe(true);
    expect(readFileSync(out.logFile!, 'utf8')).toMatch(/production adapter damaged: restoring it from its backup|Backed up/);
  }, 600_000);

  it('a damaged manifest with no backup to restore from stops the night at the backup step with exit 3 and the fix', async () => {
    const production = t.store().models.tags().latest!;
    const registry = t.loop('2026-11-24').registry(t.store());
    for (const b of registry.backups().filter((x) => x.version === production)) rmSync(b.dir, { recursive: true });
    writeFileSync(join(t.store().models.version(production)!.dir, 'manifest.json'), '{ broken');
    writeJournal(join(t.journal, 'more2'), smallJournal('2026-11-26', 1, 1));
    await t.index('2026-11-26');
    const out = await t.loop('2026-11-26').run();
    expect(out).toMatchObject({ status: 'open', failedStep: 'backup', exitCode: 3 });
    expect(out.error!.message).toMatch(/damaged: manifest\.json has changed/);
    expect(out.error!.hint).toMatch(/web4 model rollback --to/);
    expect(t.store().models.tags().latest).toBe(production);
  }, 300_000);
});
