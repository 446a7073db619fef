import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainAdapter } from './train-adapter.js';
import { TINY_JOB, tinyTrainerSetup } from './test-fixtures/tiny-trainer.js';
import type { BufferItem } from './buffer-item.js';

let setup: ReturnType<typeof tinyTrainerSetup>;
beforeAll(() => {
  setup = tinyTrainerSetup();
}, 120_000);
afterAll(() => rmSync(setup.root, { recursive: true, force: true }));

describe('trainAdapter', () => {
  it('skips training when the buffer is empty, writing nothing', async () => {
    const outputDir = join(setup.root, 'outputs', 'web4_balanced_lora_empty');
    const result = await trainAdapter({ items: [], outputDir, settings: setup.settings, cacheDir: setup.cacheDir, progress: null });
    expect(result).toEqual({ status: 'skipped', reason: 'the daily buffer is empty', samples: 0 });
    expect(existsSync(`${outputDir}.job`)).toBe(false);
    const blank = await trainAdapter({ items: [{ pdcaId: 'p', chunkIndex: 0, text: '  ' }], outputDir, settings: setup.settings, cacheDir: setup.cacheDir, progress: null });
    expect(blank.status).toBe('skipped');
  });

  it('buffer items → samples.jsonl + job.json → trained adapter with manifest, then continues from it', async () => {
    const items: BufferItem[] = [
      { pdcaId: 'p1', chunkIndex: 1, text: 'DO: added the retry.\nCHECK: fine.', metadata: { title: 'retry' } },
      { pdcaId: 'p1', chunkIndex: 0, text: '# retry\nPLAN: retry once.\n', metadata: { title: 'retry' } },
      { pdcaId: 'p2', chunkIndex: 0, text: '# cache\nPLAN: warm the cache.' },
    ];
    const outputDir = join(setup.root, 'outputs', 'web4_balanced_lora_day1');
    const first = await trainAdapter({ items, outputDir, settings: setup.settings, cacheDir: setup.cacheDir, jobOverrides: TINY_JOB, progress: null });
    if (first.status !== 'trained') throw new Error('expected a training run');
    expect(first.samples).toBe(2);
    const lines = readFileSync(first.samplesFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { output: string; metadata: { pdca_id: string } });
    expect(lines.map((l) => l.metadata.pdca_id)).toEqual(['p1', 'p2']);
    expect(lines[0]!.output).toBe('# retry\nPLAN: retry once.\nDO: added the retry.\nCHECK: fine.');
    const job = JSON.parse(readFileSync(first.jobFile, 'utf8')) as Record<string, unknown>;
    expect(job).toMatchObject({ base_model: setup.settings.baseModel, grad_accumulation: 1, parent_adapter: null, export_gguf_lora: false });
    expect(first.manifest.samples).toMatchObject({ count: 2 });
    expect(existsSync(join(outputDir, 'adapter', 'adapter_config.json'))).toBe(true);

    const secondDir = join(setup.root, 'outputs', 'web4_balanced_lora_day2');
    const pids: number[] = [];
    const second = await trainAdapter({
      items,
      outputDir: secondDir,
      parentAdapter: first.result.done.adapter_dir,
      settings: setup.settings,
      cacheDir: setup.cacheDir,
      // a small night: 2 samples, batch 2 → 1 step per epoch; min_steps 5 makes it 5 epochs
      jobOverrides: { ...TINY_JOB, min_steps: 5, max_epochs: 8, metadata: { runId: 'r-2', replayIds: ['p1'], share: 0.2 } },
      progress: null,
      onSpawn: (pid) => pids.push(pid),
    });
    if (second.status !== 'trained') throw new Error('expected a training run');
    expect(second.manifest.parent_adapter).toBe(first.result.done.adapter_dir);
    expect(pids).toHaveLength(1);
    expect(second.result.start).toMatchObject({ epochs: 5, steps: 5 });
    expect(second.manifest).toMatchObject({ epochs_run: 5, min_steps: 5, max_epochs: 8, steps: 5, job_metadata: { runId: 'r-2', replayIds: ['p1'], share: 0.2 } });
  }, 300_000);
});
