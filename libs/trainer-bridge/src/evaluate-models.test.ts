import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateModels, runEvaluate } from './evaluate-models.js';
import { TrainerInputError } from './trainer-errors.js';
import type { EvaluatorEvent } from './trainer-events.js';
import { commitSamples, tinyTrainerSetup, trainTinyAdapter } from './test-fixtures/tiny-trainer.js';

let setup: ReturnType<typeof tinyTrainerSetup>;
let trained: Awaited<ReturnType<typeof trainTinyAdapter>>;

beforeAll(async () => {
  setup = tinyTrainerSetup();
  trained = await trainTinyAdapter(setup, 'eval');
}, 300_000);
afterAll(() => rmSync(setup.root, { recursive: true, force: true }));

describe('evaluateModels (real trainer, tiny model)', () => {
  it('scores base, base + adapter and the merged model on each set; an empty set is a null loss', async () => {
    const events: EvaluatorEvent[] = [];
    const pids: number[] = [];
    const workDir = join(setup.root, 'eval work $(x)');
    const r = await evaluateModels({
      settings: setup.settings,
      cacheDir: setup.cacheDir,
      models: [
        { name: 'production', adapter: null },
        { name: 'candidate', adapter: join(trained.outputDir, 'adapter') },
        { name: 'merged', model: join(trained.outputDir, 'model') },
      ],
      sets: [
        { name: 'night', samples: trained.samples },
        { name: 'retention', samples: [] },
      ],
      workDir,
      threads: 1,
      onEvent: (e) => events.push(e),
      onSpawn: (pid) => pids.push(pid),
    });
    expect(Object.keys(r.results)).toEqual(['production', 'candidate', 'merged']);
    const night = (m: string) => r.results[m]!.night!;
    expect(night('production').samples).toBe(6);
    expect(night('production').tokens).toBeGreaterThan(0);
    expect(night('candidate').tokens).toBe(night('production').tokens);
    expect(night('candidate').loss!).toBeLessThan(0.5 * night('production').loss!);
    expect(Math.abs(night('merged').loss! - night('candidate').loss!)).toBeLessThan(1e-4);
    for (const m of ['production', 'candidate', 'merged']) expect(r.results[m]!.retention).toEqual({ loss: null, tokens: 0, samples: 0 });
    expect(r.runtimeS).toBeGreaterThan(0);
    expect(events.map((e) => e.event)).toEqual(['start', ...Array<string>(6).fill('eval'), 'done']);
    expect(pids).toHaveLength(1);
    expect(pids[0]).toBeGreaterThan(0);
    // the job and the sets stay in workDir (a gate can be re-measured by hand)
    const job = JSON.parse(readFileSync(r.jobFile, 'utf8')) as { base_model: string; sets: Array<{ samples: string }>; max_length: number };
    expect(job.base_model).toBe(setup.settings.baseModel);
    expect(job.max_length).toBe(setup.settings.maxLength);
    expect(readFileSync(job.sets[1]!.samples, 'utf8')).toBe('');
    expect(readFileSync(job.sets[0]!.samples, 'utf8').trim().split('\n')).toHaveLength(6);
  }, 300_000);

  it('refuses a bad job with TrainerInputError naming each problem', async () => {
    const error = await evaluateModels({
      settings: setup.settings,
      cacheDir: setup.cacheDir,
      models: [
        { name: 'candidate', adapter: join(setup.root, 'no such adapter') },
        { name: 'candidate', adapter: null },
      ],
      sets: [{ name: 'night', samples: commitSamples(1) }],
      workDir: join(setup.root, 'eval bad'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerInputError);
    const message = (error as TrainerInputError).message;
    expect(message).toMatch(/models\[1\]\.name "candidate" is used twice/);
    expect((error as TrainerInputError).exitCode).toBe(2);
  }, 120_000);

  it('runEvaluate: a missing sample file is TrainerInputError naming the set and file', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const dir = join(setup.root, 'eval missing');
    mkdirSync(dir, { recursive: true });
    const jobFile = join(dir, 'eval.json');
    writeFileSync(jobFile, JSON.stringify({ base_model: setup.settings.baseModel, models: [{ name: 'base' }], sets: [{ name: 'retention', samples: 'gone.jsonl' }] }));
    const run = runEvaluate({ python: setup.python, packageDir: setup.packageDir, jobFile, timeoutMs: 120_000 });
    await expect(run).rejects.toBeInstanceOf(TrainerInputError);
    await expect(run).rejects.toThrow(`sets[0] (retention): samples file ${join(dir, 'gone.jsonl')} does not exist`);
    expect(existsSync(join(dir, 'gone.jsonl'))).toBe(false);
  }, 120_000);
});
