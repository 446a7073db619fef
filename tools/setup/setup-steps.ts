import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Web4Config } from '@web4/core';
import {
  type AssetLayout,
  LocalService,
  chatOnce,
  ensureBaseGguf,
  ensureBaseModel,
  ensureEmbeddingFolder,
  ensureOllamaBinary,
  ensurePythonEnv,
  postgresBinDir,
  venvPython,
  writeFileAtomic,
} from '@web4/local-services';

export interface SetupStepResult {
  step: string;
  action: string;
  note?: string;
  seconds: number;
}

export interface SetupOptions {
  repoRoot: string;
  config: Web4Config;
  layout: AssetLayout;
  skipPython: boolean;
  log: (line: string) => void;
  onStep: (result: SetupStepResult) => void;
}

async function timed(step: string, onStep: SetupOptions['onStep'], body: () => Promise<{ action: string; note?: string }>): Promise<void> {
  const t0 = Date.now();
  const { action, note } = await body();
  onStep({ step, action, ...(note ? { note } : {}), seconds: (Date.now() - t0) / 1000 });
}

/**
 * Start the cached Ollama on a free port with the test suite's models folder, import
 * web4-base there and ask it one question. Skipped when a marker says this exact binary and
 * model already passed, so a warm setup does not start a server.
 */
export async function verifyBaseModelServes(layout: AssetLayout, binary: string, binarySha: string, ggufSha: string, modelName: string, numThread: number): Promise<{ action: string; note?: string }> {
  const marker = join(layout.testOllamaModels, '.web4-base-verified');
  const expected = `${binarySha} ${ggufSha} ${modelName} num_thread=${numThread}`;
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === expected) return { action: 'cached', note: 'answered before' };
  const servicesDir = mkdtempSync(join(tmpdir(), 'web4-setup-ollama-'));
  const ollama = new LocalService({
    name: 'ollama', host: '127.0.0.1', port: 0, servicesDir, dataDir: layout.testOllamaModels, startTimeoutS: 60, binary: async () => binary,
  });
  try {
    const up = await ollama.up();
    await ensureBaseModel(up.url!, layout.baseGguf, modelName, { numThread });
    const chat = await chatOnce(up.url!, modelName, 'What is the capital of France? Answer in one word.', 16);
    if (!chat.reply.trim()) throw new Error(`${modelName} gave an empty answer`);
    writeFileAtomic(marker, expected + '\n');
    return { action: 'verified', note: `answered "${chat.reply.trim().slice(0, 40)}" at ${chat.tokensPerSecond.toFixed(0)} tokens/s` };
  } finally {
    await ollama.down();
    rmSync(servicesDir, { recursive: true, force: true });
  }
}

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's `chromium`, which the dashboard's browser test drives through playwright-core
 * (no browser download at run time). Installed with apt-get as root, or through `sudo -n`;
 * otherwise the step says what to run and the setup goes on (only that test needs it).
 */
export function ensureChromium(log: (line: string) => void, executable = CHROMIUM): { action: string; note?: string } {
  if (existsSync(executable)) return { action: 'found', note: executable };
  const installed = aptInstall('chromium', executable, "the dashboard's browser test", log);
  if (installed.action !== 'installed') return installed;
  return existsSync(executable) ? installed : { action: 'failed', note: `⚠️ apt-get ran but ${executable} is missing` };
}

/**
 * Debian's `postgresql`, whose initdb/pg_ctl the PostgreSQL tests run in a temporary folder
 * (libs/local-services PostgresServer). Installed like chromium where missing; without root or
 * sudo the step says what to run and the setup goes on (only those tests need it).
 */
export function ensurePostgres(log: (line: string) => void, findBinDir: () => string | undefined = postgresBinDir): { action: string; note?: string } {
  const found = findBinDir();
  if (found) return { action: 'found', note: found };
  const installed = aptInstall('postgresql', 'PostgreSQL (initdb, pg_ctl)', 'the PostgreSQL storage tests', log);
  if (installed.action !== 'installed') return installed;
  const binDir = findBinDir();
  return binDir ? { ...installed, note: `${installed.note}: ${binDir}` } : { action: 'failed', note: '⚠️ apt-get ran but no initdb/pg_ctl was found under /usr/lib/postgresql/*/bin' };
}

/** `apt-get install -y <pkg>` as root or through `sudo -n`; otherwise what the user should run. */
function aptInstall(pkg: string, missing: string, purpose: string, log: (line: string) => void): { action: string; note?: string } {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const manual = `run \`sudo apt-get install -y ${pkg}\` for ${purpose}`;
  if (!has('apt-get')) return { action: 'missing', note: `⚠️ ${missing} missing and no apt-get: install ${pkg} for ${purpose}` };
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && has('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!asRoot && !sudo) return { action: 'missing', note: `⚠️ ${missing} missing and no root: ${manual}` };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) =>
    spawnSync(sudo ? 'sudo' : 'apt-get', sudo ? ['-n', '-E', 'apt-get', ...args] : args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  log(`setup:   installing ${pkg} with apt-get (for ${purpose})…`);
  // A fresh machine may have no package lists yet: update once and try again.
  if (!apt(['install', '-y', pkg]) && !(apt(['update']) && apt(['install', '-y', pkg]))) {
    return { action: 'failed', note: `⚠️ apt-get install ${pkg} failed (see above): ${manual}` };
  }
  return { action: 'installed', note: `apt-get install ${pkg}${sudo ? ' (sudo)' : ''}` };
}

export async function runSetup(o: SetupOptions): Promise<void> {
  const { layout, config } = o;
  let python: string | undefined;
  if (!o.skipPython) {
    await timed('python env (python/.venv)', o.onStep, async () => {
      // Dependencies shared by every clone on this machine (~/.cache/web4/python-envs), keyed by pyproject.toml and the Python version.
      const env = await ensurePythonEnv(o.repoRoot, { cacheDir: layout.cacheDir, log: o.log });
      python = env.python;
      return { action: env.action, note: env.sharedEnv ? `${env.action}; dependencies from ${env.sharedEnv}` : env.action };
    });
  } else if (existsSync(venvPython(o.repoRoot))) {
    python = venvPython(o.repoRoot);
  }

  let ollamaBinary: { path: string; sha: string } | undefined;
  await timed('ollama binary', o.onStep, async () => {
    if (config.services.ollama.url) return { action: 'configured', note: `using ${config.services.ollama.url}` };
    const binary = await ensureOllamaBinary(layout, config.services.ollama.version, {
      onRebuild: (reason) => o.log(`setup: ⚠️ cached Ollama ${config.services.ollama.version} is corrupt (${reason}); rebuilding`),
      onLine: () => undefined,
    });
    if (binary.source === 'built') o.log(`setup:   built Ollama ${binary.version} in ${binary.buildSeconds}s`);
    const { sha256File } = await import('@web4/local-services');
    ollamaBinary = { path: binary.path, sha: await sha256File(binary.path) };
    return { action: binary.source, note: `${binary.source === 'path' ? 'on PATH' : binary.source}: ${binary.path}` };
  });

  await timed('base model GGUF (SmolLM2-135M-Instruct Q4_1)', o.onStep, async () => {
    const gguf = await ensureBaseGguf(layout, { onRebuild: (reason) => o.log(`setup: ⚠️ cached GGUF corrupt (${reason}); extracting again`) });
    return { action: gguf.action, note: gguf.action };
  });

  await timed('embedding model (all-MiniLM-L6-v2 for transformers.js)', o.onStep, async () => {
    const folder = await ensureEmbeddingFolder(layout, {
      ...(python ? { venvPython: python } : {}),
      onRebuild: (reason) => o.log(`setup: ⚠️ embedding model folder corrupt (${reason}); rebuilding`),
    });
    return { action: folder.action, note: `${folder.action}${folder.manifest.int8 ? ', fp32 + int8' : folder.manifest.fp32 ? ', fp32 (no int8: onnxruntime missing in python/.venv)' : ', q8 only (fp32 and int8 need python/.venv)'}` };
  });

  if (ollamaBinary) {
    const binary = ollamaBinary;
    await timed(`${config.models.baseModel} answers in Ollama`, o.onStep, async () => {
      const { SMOLLM2_GGUF } = await import('@web4/local-services');
      const { resolveNumThread } = await import('@web4/local-services');
      return verifyBaseModelServes(layout, binary.path, binary.sha, SMOLLM2_GGUF.sha256, config.models.baseModel, resolveNumThread(config.services.ollama.numThread));
    });
  }

  await timed('chromium (the dashboard\'s browser test)', o.onStep, async () => ensureChromium(o.log));

  await timed('postgresql (the PostgreSQL storage tests)', o.onStep, async () => ensurePostgres(o.log));
}
