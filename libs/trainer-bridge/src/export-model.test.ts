import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateModels } from './evaluate-models.js';
import { exportModel, runExport } from './export-model.js';
import { TrainerCancelledError, TrainerInputError } from './trainer-errors.js';
import { tinyTrainerSetup, trainTinyAdapter } from './test-fixtures/tiny-trainer.js';

let setup: ReturnType<typeof tinyTrainerSetup>;
let trained: Awaited<ReturnType<typeof trainTinyAdapter>>;

beforeAll(async () => {
  setup = tinyTrainerSetup();
  trained = await trainTinyAdapter(setup, 'export');
}, 300_000);
afterAll(() => rmSync(setup.root, { recursive: true, force: true }));

describe('exportModel (real trainer, tiny model)', () => {
  it('restores the servable model from an adapter alone: same files as training wrote, same loss', async () => {
    const backup = join(setup.root, 'backup_1 `x`');
    const outDir = join(backup, 'model');
    mkdirSync(backup, { recursive: true });
    const pids: number[] = [];
    const r = await exportModel({ settings: setup.settings, cacheDir: setup.cacheDir, adapterDir: join(trained.outputDir, 'adapter'), outDir, onSpawn: (pid) => pids.push(pid) });
    expect(r.done.model_dir).toBe(outDir);
    expect(r.done.model_format).toBe('safetensors');
    expect(r.start?.serve_format).toBe('safetensors');
    expect(r.done.bytes).toBe(readdirSync(outDir).reduce((n, f) => n + statSync(join(outDir, f)).size, 0));
    expect(pids).toHaveLength(1);
    expect(readdirSync(outDir).sort()).toEqual(readdirSync(join(trained.outputDir, 'model')).sort());
    expect(readFileSync(join(outDir, 'model.safetensors')).equals(readFileSync(join(trained.outputDir, 'model', 'model.safetensors')))).toBe(true);
    expect(readdirSync(backup).filter((n) => n.includes('.partial'))).toEqual([]);

    const scores = await evaluateModels({
      settings: setup.settings,
      cacheDir: setup.cacheDir,
      models: [
        { name: 'adapter', adapter: join(trained.outputDir, 'adapter') },
        { name: 'restored', model: outDir },
      ],
      sets: [{ name: 'night', samples: trained.samples }],
      workDir: join(setup.root, 'export eval'),
      threads: 1,
    });
    expect(Math.abs(scores.results.restored!.night!.loss! - scores.results.adapter!.night!.loss!)).toBeLessThan(1e-4);
  }, 300_000);

  it('refuses an output folder that is not empty (TrainerInputError), touching nothing', async () => {
    const outDir = join(setup.root, 'taken');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'model.safetensors'), 'keep me');
    const run = exportModel({ settings: setup.settings, cacheDir: setup.cacheDir, adapterDir: join(trained.outputDir, 'adapter'), outDir });
    await expect(run).rejects.toBeInstanceOf(TrainerInputError);
    await expect(run).rejects.toThrow(/--out .*taken already exists and is not empty/);
    expect(readFileSync(join(outDir, 'model.safetensors'), 'utf8')).toBe('keep me');
  }, 120_000);

  it('cancel: TrainerCancelledError, no output and no partial folder', async () => {
    const controller = new AbortController();
    const outDir = join(setup.root, 'cancelled', 'model');
    mkdirSync(join(setup.root, 'cancelled'), { recursive: true });
    const error = await runExport({
      python: setup.python,
      packageDir: setup.packageDir,
      adapterDir: join(trained.outputDir, 'adapter'),
      baseModel: setup.settings.baseModel!,
      outDir,
      timeoutMs: 120_000,
      signal: controller.signal,
      onSpawn: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerCancelledError);
    expect((error as Error).message).toMatch(/^export was cancelled/);
    expect(existsSync(outDir)).toBe(false);
    expect(readdirSync(join(setup.root, 'cancelled'))).toEqual([]);
  }, 120_000);
});
