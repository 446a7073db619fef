import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolvePaths } from '@web4/core';
import {
  LocalService,
  assetLayout,
  ensureBaseGguf,
  ensureBaseModel,
  ensureOllamaBinary,
  isProcessRunning,
  readServiceRecord,
  resolveNumThread,
  stopProcess,
} from '@web4/local-services';

/**
 * The servers of one test run: Chroma on a temporary data dir, Ollama on a temporary models dir
 * seeded (by hard links, instantly) from the shared test models dir where web4-base was
 * imported once, so tests may create and delete models without touching other runs.
 */
export interface TestServices {
  dir: string;
  chromaUrl: string;
  ollamaUrl: string;
  ollamaModels: string;
  stop(): Promise<void>;
}

const OWNER_FILE = 'owner.json';
const PREFIX = 'web4-test-services-';

/** Hard-link every file of `from` into `to` (same tree); copies nothing when `from` is missing. */
function linkTree(from: string, to: string): void {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from, { recursive: true }) as string[]) {
    const source = join(from, entry);
    const target = join(to, entry);
    if (statSync(source).isDirectory()) mkdirSync(target, { recursive: true });
    else if (!entry.split('/').pop()!.startsWith('.')) {
      mkdirSync(join(target, '..'), { recursive: true });
      linkSync(source, target);
    }
  }
}

/**
 * Stop servers left behind by a test run whose process died without its teardown (killed
 * runner, crashed machine): their folders name the owner pid.
 */
export async function reapOrphans(): Promise<number> {
  let reaped = 0;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const ownerFile = join(dir, OWNER_FILE);
    if (existsSync(ownerFile)) {
      const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as { pid: number };
      if (isProcessRunning(owner.pid)) continue;
    } else if (Date.now() - statSync(dir).mtimeMs < 60_000) {
      continue; // being created right now by another run (owner.json comes next)
    }
    for (const service of ['chroma', 'ollama']) {
      const record = readServiceRecord(join(dir, 'services', `${service}.json`));
      if (record) await stopProcess(record, 3_000);
    }
    rmSync(dir, { recursive: true, force: true });
    reaped++;
  }
  return reaped;
}

export async function startTestServices(): Promise<TestServices> {
  await reapOrphans();
  const { config } = loadConfig();
  const layout = assetLayout(resolvePaths(config).cacheDir);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
  const servicesDir = join(dir, 'services');
  const ollamaModels = join(dir, 'ollama-models');
  mkdirSync(ollamaModels, { recursive: true });
  linkTree(layout.testOllamaModels, ollamaModels);

  const binary = await ensureOllamaBinary(layout, config.services.ollama.version);
  const gguf = await ensureBaseGguf(layout);
  const chroma = new LocalService({ name: 'chroma', host: '127.0.0.1', port: 0, servicesDir, dataDir: join(dir, 'chroma'), startTimeoutS: 60 });
  const ollama = new LocalService({
    name: 'ollama', host: '127.0.0.1', port: 0, servicesDir, dataDir: ollamaModels, startTimeoutS: 60, binary: async () => binary.path,
  });
  const stop = async () => {
    await Promise.all([chroma.down(), ollama.down()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // allSettled: on a failure, the other start must finish before stop() looks for its pid file.
    const [cs, os] = await Promise.allSettled([chroma.up(), ollama.up()]);
    if (cs.status === 'rejected') throw cs.reason;
    if (os.status === 'rejected') throw os.reason;
    const [c, o] = [cs.value, os.value];
    const created = await ensureBaseModel(o.url!, gguf.path, config.models.baseModel, { numThread: resolveNumThread(config.services.ollama.numThread) });
    if (created.action === 'created') {
      // Seed the shared dir for the next runs (hard links from this run's fresh import).
      mkdirSync(layout.testOllamaModels, { recursive: true });
      for (const entry of readdirSync(ollamaModels, { recursive: true }) as string[]) {
        const source = join(ollamaModels, entry);
        const target = join(layout.testOllamaModels, entry);
        if (!statSync(source).isFile() || (existsSync(target) && statSync(target).ino === statSync(source).ino)) continue;
        mkdirSync(join(target, '..'), { recursive: true });
        // link beside, then rename: a manifest that changed (a re-import) replaces the old one atomically
        const tmp = `${target}.tmp-${process.pid}`;
        rmSync(tmp, { force: true });
        linkSync(source, tmp);
        renameSync(tmp, target);
      }
    }
    return { dir, chromaUrl: c.url!, ollamaUrl: o.url!, ollamaModels, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
