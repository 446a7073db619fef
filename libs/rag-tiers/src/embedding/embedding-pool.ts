import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StorageError } from '@web4/core';
import type { TextEmbedder } from '../text-embedder.js';
import type { EmbedReply, EmbedRequest } from './embed-worker.js';
import type { MiniLmEmbedderOptions } from './minilm-embedder.js';

/**
 * Where the worker's code is: next to this file when running from source (through tsx's
 * loader), or `embed-worker.js` next to an app bundle (tools/build-app.mjs writes it there).
 */
export function embedWorkerEntry(): { file: string; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return { file: join(dirname(self), 'embed-worker.ts'), execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  return { file: join(dirname(self), 'embed-worker.js'), execArgv: [] };
}

export interface EmbeddingPoolOptions {
  workers: number;
  /** The model each worker loads (threads is forced to 1: the pool is the parallelism). */
  model: MiniLmEmbedderOptions;
  /** Texts per message to a worker: small enough to balance the load, large enough to amortise IPC. */
  jobSize?: number;
  /** The worker program (default: embedWorkerEntry()). */
  entry?: { file: string; execArgv: string[] };
}

class PoolWorker {
  private readonly pending = new Map<number, { resolve: (v: number[][]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private stderr = '';
  exited = false;

  constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    // Neither the pipe nor the process keeps the parent alive (the IPC channel is ref'd while busy).
    (child.stderr as Socket | null)?.unref();
    child.unref();
    child.on('message', (reply: EmbedReply) => {
      const job = this.pending.get(reply.id);
      if (!job) return;
      this.pending.delete(reply.id);
      this.idleUnref();
      if ('error' in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.vectors.map((v) => Array.from(v)));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      const why = `embedding worker ${child.pid} exited (${signal ?? `code ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      for (const job of this.pending.values()) job.reject(new Error(why));
      this.pending.clear();
    });
    child.on('error', () => undefined); // 'exit' follows and reports it
    this.idleUnref();
  }

  run(texts: string[]): Promise<number[][]> {
    if (this.exited) return Promise.reject(new Error('embedding worker has exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.channel?.ref();
      this.child.send({ id, texts } satisfies EmbedRequest, (error) => {
        if (error && this.pending.delete(id)) reject(error);
      });
    });
  }

  /** An idle worker does not keep its parent alive: a command ends when its own work does. */
  private idleUnref(): void {
    if (this.pending.size === 0) this.child.channel?.unref();
  }

  kill(): void {
    this.child.kill();
  }
}

/**
 * Embeds large batches in parallel child processes, one single-threaded model each. On a small
 * CPU this beats one process with one thread per core (measured 1.4x on 2 cores with int8):
 * onnxruntime spends less time synchronising its threads, and tokenising and pooling run in
 * parallel too. (onnxruntime-node 1.21 cannot run sessions in several worker_threads: its
 * binding keeps a process-wide reference that crashes V8, hence processes.)
 * Workers start on first use and are restarted after a crash; results keep the input order.
 */
export class EmbeddingPool implements TextEmbedder {
  private workers: PoolWorker[] = [];
  private readonly jobSize: number;

  constructor(private readonly options: EmbeddingPoolOptions) {
    this.jobSize = options.jobSize ?? 4;
  }

  get size(): number {
    return this.options.workers;
  }

  private ensureWorkers(): PoolWorker[] {
    this.workers = this.workers.filter((w) => !w.exited);
    if (this.workers.length >= this.options.workers) return this.workers;
    const entry = this.options.entry ?? embedWorkerEntry();
    if (!existsSync(entry.file)) {
      throw new StorageError(`The embedding worker ${entry.file} is missing.`, {
        hint: 'rebuild the app bundle (`npx nx run-many -t build`), or set models.embedding.workers to 0',
      });
    }
    const model = JSON.stringify({ ...this.options.model, threads: 1 });
    while (this.workers.length < this.options.workers) {
      const child = fork(entry.file, [model], { execArgv: entry.execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      this.workers.push(new PoolWorker(child));
    }
    return this.workers;
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const workers = this.ensureWorkers();
    const out: number[][] = new Array(texts.length);
    let next = 0;
    // Each worker takes the next job as soon as it is free, so a slow job never idles the rest;
    // after a failure no new jobs start.
    await Promise.all(
      workers.map(async (worker) => {
        while (next < texts.length) {
          const start = next;
          next = Math.min(texts.length, next + this.jobSize);
          try {
            const vectors = await worker.run(texts.slice(start, next));
            for (let i = 0; i < vectors.length; i++) out[start + i] = vectors[i]!;
          } catch (error) {
            next = texts.length;
            throw error;
          }
        }
      }),
    );
    return out;
  }

  async dispose(): Promise<void> {
    for (const w of this.workers) w.kill();
    this.workers = [];
  }
}
