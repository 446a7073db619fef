import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrainJob } from './train-job.js';
import {
  TrainerCancelledError,
  TrainerInputError,
  TrainerOutOfMemoryError,
  TrainerSetupError,
  TrainerTimeoutError,
} from './trainer-errors.js';
import type { TrainerEvent } from './trainer-events.js';
import { runTrainer } from './trainer-process.js';
import { writeSamples } from './train-adapter.js';
import type { TrainingProgress } from './training-progress.js';
import { commitSamples, TINY_JOB, tinyTrainerSetup } from './test-fixtures/tiny-trainer.js';

let setup: ReturnType<typeof tinyTrainerSetup>;

beforeAll(() => {
  setup = tinyTrainerSetup();
}, 120_000);
afterAll(() => rmSync(setup.root, { recursive: true, force: true }));

/** A job in a folder whose name has spaces, quotes and shell syntax: only an argv array survives it. */
function prepare(name: string, overrides: Record<string, unknown> = {}, samples = commitSamples(8)) {
  const dir = join(setup.root, `${name} ; rm -rf "$HOME" 'q'`);
  mkdirSync(dir, { recursive: true });
  const samplesFile = join(dir, 'samples $(id).jsonl');
  writeSamples(samplesFile, samples);
  const job = buildTrainJob(setup.settings, { baseModel: setup.settings.baseModel!, samples: samplesFile, outputDir: join(dir, 'out `x`') }, { ...TINY_JOB, ...overrides });
  const jobFile = join(dir, 'job & more.json');
  writeFileSync(jobFile, JSON.stringify(job));
  return { dir, jobFile, outputDir: job.output_dir };
}

function recordingProgress(): TrainingProgress & { calls: string[] } {
  const calls: string[] = [];
  return { calls, start: (e) => calls.push(`start ${e.steps}`), update: (e) => calls.push(`step ${e.step}`), stop: () => calls.push('stop') };
}

describe('runTrainer (real trainer, tiny model)', () => {
  it('runs with shell-hostile paths, streams events and progress, resolves with done', async () => {
    const { dir, jobFile, outputDir } = prepare('ok');
    const events: TrainerEvent[] = [];
    const progress = recordingProgress();
    const pids: number[] = [];
    const result = await runTrainer({ python: setup.python, packageDir: setup.packageDir, jobFile, timeoutMs: 300_000, onEvent: (e) => events.push(e), progress, onSpawn: (pid) => pids.push(pid) });
    expect(pids).toHaveLength(1);
    expect(pids[0]).toBeGreaterThan(0);
    expect(pids[0]).not.toBe(process.pid);
    expect(result.done.output_dir).toBe(outputDir);
    expect(existsSync(join(outputDir, 'manifest.json'))).toBe(true);
    expect(result.start?.steps).toBe(8);
    expect(events.map((e) => e.event)).toEqual(['start', ...Array(8).fill('progress'), 'done']);
    expect(progress.calls).toEqual(['start 8', ...Array.from({ length: 8 }, (_, i) => `step ${i + 1}`), 'stop']);
    expect(result.done.last_loss!).toBeLessThan(result.done.first_loss!);
    expect(existsSync(join(dir, 'pwned')) || existsSync('pwned')).toBe(false);
  }, 300_000);

  it('bad samples: TrainerInputError naming the line', async () => {
    const { jobFile, dir } = prepare('bad');
    writeFileSync(join(dir, 'samples $(id).jsonl'), '{"instruction":"x","output":""}\n');
    const run = runTrainer({ python: setup.python, packageDir: setup.packageDir, jobFile, timeoutMs: 120_000 });
    await expect(run).rejects.toBeInstanceOf(TrainerInputError);
    await expect(run).rejects.toThrow(/line 1: output must be a non-empty string/);
  }, 120_000);

  it('out of memory: TrainerOutOfMemoryError with the batch/length hint', async () => {
    const rows = Array.from({ length: 4 }, () => ({ instruction: 'explain '.repeat(300), input: '', output: 'long answer '.repeat(200), metadata: {} }));
    const { jobFile, outputDir } = prepare('oom', { memory_limit_mb: 8, batch_size: 4, max_length: 512 }, rows);
    const error = await runTrainer({ python: setup.python, packageDir: setup.packageDir, jobFile, timeoutMs: 120_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerOutOfMemoryError);
    expect((error as TrainerOutOfMemoryError).hint).toMatch(/batch_size/);
    expect(existsSync(outputDir)).toBe(false);
  }, 120_000);

  it('timeout: stops the trainer, TrainerTimeoutError, no output', async () => {
    const { jobFile, outputDir } = prepare('slow', { epochs: 500 });
    const t0 = Date.now();
    const error = await runTrainer({ python: setup.python, packageDir: setup.packageDir, jobFile, timeoutMs: 4_000, killGraceMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerTimeoutError);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(existsSync(outputDir)).toBe(false);
  }, 120_000);

  it('cancel via AbortSignal after progress: TrainerCancelledError, no half-written adapter', async () => {
    const { jobFile, outputDir, dir } = prepare('cancel', { epochs: 500 });
    const controller = new AbortController();
    const error = await runTrainer({
      python: setup.python,
      packageDir: setup.packageDir,
      jobFile,
      timeoutMs: 300_000,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.event === 'progress' && e.step === 2) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerCancelledError);
    expect((error as TrainerCancelledError).exitCode).toBe(130);
    expect(existsSync(outputDir)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
  }, 300_000);

  it('missing python or package: TrainerSetupError saying what to run', async () => {
    const { jobFile } = prepare('setup');
    await expect(runTrainer({ python: '/nonexistent/python', packageDir: setup.packageDir, jobFile, timeoutMs: 10_000 })).rejects.toBeInstanceOf(TrainerSetupError);
    // A Python without the trainer package: the system python with an empty PYTHONPATH dir.
    const noPackage = runTrainer({ python: 'python3', packageDir: join(setup.root, 'nothing'), jobFile, timeoutMs: 60_000, env: { PYTHONNOUSERSITE: '1' } });
    await expect(noPackage).rejects.toBeInstanceOf(TrainerSetupError);
    await expect(noPackage).rejects.toThrow(/No module named/);
  }, 120_000);
});
