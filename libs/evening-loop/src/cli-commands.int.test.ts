import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * `web4 evening …` and `web4 model …` as a person (or cron) uses them, through the real CLI on
 * the tiny model: what they print, their JSON, their exit codes, and their bad input.
 */
let t: TinyNight;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- command JSON, read field by field
type Json = Record<string, any>;
const json = (out: string) => JSON.parse(out) as Json;

/** Every row of every table and every file under the state root (except logs that a dry run may not write either). */
function snapshot(root: string): string {
  const db = new BetterSqlite3(join(root, 'logs/production_metrics.db'), { readonly: true });
  const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as { name: string }[]).map(({ name }) => [name, db.prepare(`select * from "${name}" order by rowid`).all()]);
  db.close();
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => !f.includes('.db-') && !f.endsWith('.db')).sort().map((f) => [f, statSync(join(root, f)).isFile() ? statSync(join(root, f)).size : 'dir']);
  return JSON.stringify({ tables, files });
}

beforeAll(async () => {
  t = await tinyNight();
  await t.index('2026-11-20');
}, 300_000);
afterAll(async () => t?.cleanup());

describe('web4 evening and web4 model through the CLI', () => {
  it('before any night: status and history say so, model list shows the base model in production', async () => {
    const status = await t.cli(['evening', 'status']);
    expect(status).toMatchObject({ code: 0 });
    expect(status.out).toMatch(/No night has run in this state root yet/);
    const list = await t.cli(['model', 'list', '--json']);
    expect(list.code, list.err).toBe(0);
    expect(json(list.out)).toMatchObject({ tags: {}, versions: [], backups: [] });
  }, 120_000);

  it('run --dry-run walks every step, says what it would do, and changes nothing', async () => {
    // One real night first, so the dry run has a production version, a registry and a database to leave alone.
    const night = await t.cli(['evening', 'run', '--json'], { WEB4_NOW: '2026-11-20T22:00:00Z' });
    expect(night.code, night.err).toBe(0);
    await t.index('2026-11-21');
    const before = snapshot(t.root);
    const dry = await t.cli(['evening', 'run', '--dry-run'], { WEB4_NOW: '2026-11-21T22:00:00Z' });
    expect(dry.code, dry.err).toBe(0);
    for (const line of [/DRY RUN of tonight's night \(night_20261121_220000/, /1 lock: free/, /2 backup: would copy v20261120_220000's adapter/, /3 read buffer: 2 untrained PDCAs/, /6 train: would train on from production v20261120_220000/, /9 canaries: would ask .* the 2 cases/, /11 pass: would promote/]) {
      expect(dry.out).toMatch(line);
    }
    expect(snapshot(t.root)).toBe(before);
  }, 300_000);

  it('status and history --json carry the figures; a second night promotes and backs up the first', async () => {
    const r = await t.cli(['evening', 'run'], { WEB4_NOW: '2026-11-21T22:00:00Z' });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/EVENING LOOP COMPLETE/);
    const status = json((await t.cli(['evening', 'status', '--json'])).out);
    expect(status.night).toMatchObject({ runId: 'night_20261121_220000', status: 'complete', items: 2, version: 'v20261121_220000' });
    expect(status.night.steps.map((s: Json) => s.step)).toEqual(['lock', 'backup', 'read_buffer', 'samples', 'train', 'evaluate', 'register', 'canaries', 'decide', 'promote', 'mark_trained', 'copy_history', 'archive', 'clear', 'prune', 'summary']);
    expect(status.served).toMatchObject({ latest: 'v20261121_220000', previous: 'v20261120_220000' });
    const history = json((await t.cli(['evening', 'history', '--json', '--limit', '5'])).out);
    expect(history.nights.map((n: Json) => n.status)).toEqual(['complete', 'complete']);
    expect(history.nights[0].night.candidate).toBeLessThan(history.nights[0].night.production);
    const text = await t.cli(['evening', 'history']);
    expect(text.out).toMatch(/night_20261121_220000 +complete +2/);
    const bad = await t.cli(['evening', 'history', '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--limit must be a whole number from 1 to 1000/);
    const unknown = await t.cli(['evening', 'status', '--run', 'night_19990101_000000']);
    expect(unknown.code).toBe(2);
  }, 300_000);

  it('model list, rollback, promote (refused without --force for a version that failed), rollback --to a backup', async () => {
    const list = json((await t.cli(['model', 'list', '--json'])).out);
    expect(list.tags).toMatchObject({ latest: 'v20261121_220000', previous: 'v20261120_220000' });
    expect(list.versions.map((v: Json) => [v.version, v.state, v.tags])).toEqual([
      ['v20261121_220000', 'promoted', ['latest', 'candidate']],
      ['v20261120_220000', 'promoted', ['previous']],
    ]);
    expect(list.backups.map((b: Json) => [b.name, b.version])).toEqual([['backup_20261121_220000', 'v20261120_220000']]);
    const text = await t.cli(['model', 'list']);
    expect(text.out).toMatch(/Production web4-t.*:latest: v20261121_220000 +previous: v20261120_220000/);

    const back = await t.cli(['model', 'rollback', '--reason', 'answers got worse']);
    expect(back.code, back.err).toBe(0);
    expect(back.out).toMatch(/✓ .*:latest = v20261120_220000 \(was v20261121_220000, now marked rolled back\)/);
    expect(t.store().models.version('v20261121_220000')).toMatchObject({ state: 'rolled_back', reason: 'answers got worse' });
    expect(await t.ollama.digest(t.config().models.productionModel)).toBe(await t.ollama.digest(t.store().models.version('v20261120_220000')!.ollamaName));

    // Promote the rolled-back version again: its gates passed, so no --force is needed.
    const again = await t.cli(['model', 'promote', 'v20261121_220000', '--reason', 'false alarm']);
    expect(again.code, again.err).toBe(0);
    expect(t.store().models.tags()).toMatchObject({ latest: 'v20261121_220000', previous: 'v20261120_220000' });

    // A version that failed its gates is promoted only with --force.
    t.store().models.apply({ versions: [{ version: 'v20261120_220000', state: 'rejected', reason: 'test: pretend it failed a canary' }] });
    const refused = await t.cli(['model', 'rollback']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/was rejected by the gates .* without --force/);
    t.store().models.apply({ versions: [{ version: 'v20261120_220000', state: 'promoted', reason: null }] });

    // From a backup: verified, restored (merged model re-created by the trainer), served.
    const restored = await t.cli(['model', 'rollback', '--to', 'backup_20261121_220000', '--json']);
    expect(restored.code, restored.err).toBe(0);
    expect(json(restored.out)).toMatchObject({ from: 'v20261121_220000', to: 'v20261120_220000' });
    expect(json(restored.out).answer.length).toBeGreaterThan(0);

    const bad = await t.cli(['model', 'rollback', '--to', 'v19990101_000000']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/No model version v19990101_000000/);
    const noBackup = await t.cli(['model', 'rollback', '--to', 'backup_19990101_000000']);
    expect(noBackup.code).toBe(2);
    expect(noBackup.err).toMatch(/No backup backup_19990101_000000/);
  }, 300_000);

  it('rag health shows the cross-tier check of trained PDCAs, and a tier that disagrees', async () => {
    const ok = await t.cli(['rag', 'health']);
    expect(ok.out).toMatch(/trained PDCAs across tiers .*: 4 in 2 batches, \d+ chunks checked — ✓ consistent/);
    const db = new BetterSqlite3(join(t.root, 'logs/rag_metadata.db'));
    const one = db.prepare("select doc_id from documents where collection = 'pdca_historical' and training_batch is not null limit 1").get() as { doc_id: string };
    db.prepare("update documents set training_batch = 'v19990101_000000' where collection = 'pdca_historical' and doc_id = ?").run(one.doc_id);
    db.close();
    const bad = await t.cli(['rag', 'health', '--json']);
    expect(bad.code).toBe(1);
    const mismatches = json(bad.out).training.mismatches as Json[];
    expect(mismatches.map((m) => m.problem).join('\n')).toMatch(/graph has no edge to batch v19990101_000000[\s\S]*metadata says batch v19990101_000000/);
    expect(readFileSync(join(t.root, 'web4.config.json'), 'utf8')).toContain('canaries.yaml'); // the fixture's config is what the CLI read
  }, 120_000);
});
