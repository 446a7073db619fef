import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StatePaths, Web4Config } from '@web4/core';
import { assetLayout } from './asset-layout.js';
import { listOllamaModels } from './base-model.js';
import { hasChecksum } from './checksum.js';
import { runCommand } from './command.js';
import { inspectEmbeddingFolder } from './embedding-model-folder.js';
import { findOnPath, inspectCachedOllama } from './ollama-binary.js';
import { SMOLLM2_GGUF } from './pinned-assets.js';
import { pythonEnvUpToDate, venvPython } from './python-env.js';
import { chromaCliScript } from './service-definitions.js';
import { servicesFromConfig } from './services-from-config.js';

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  /** A failed required check makes `web4 doctor` exit non-zero; a failed optional one warns. */
  required: boolean;
  detail: string;
  /** The command (or setting) that fixes it. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

const BOOTSTRAP = 'node tools/bootstrap.mjs';
const GIB = 1024 ** 3;

function check(name: string, required: boolean, ok: boolean, detail: string, fix?: string, warnOnly = false): DoctorCheck {
  const status = ok ? 'ok' : warnOnly ? 'warn' : 'fail';
  return { name, status, required: required && !warnOnly, detail, ...(ok || !fix ? {} : { fix }) };
}

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * Everything the project needs on this machine, each with what to run when it is missing.
 * Services that are merely stopped are warnings (`web4 services up` starts them); a configured
 * URL that does not answer, or a missing asset, is a failure.
 */
export async function runDoctor(config: Web4Config, paths: StatePaths, repoRoot: string): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const layout = assetLayout(paths.cacheDir);

  // The Python import check is the slow one (torch loads for seconds): start it first, read it last.
  const python = venvPython(repoRoot);
  const probing = existsSync(python)
    ? runCommand(python, ['-c', 'import json, torch, transformers, peft, accelerate, gguf; print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__, "cuda": torch.cuda.is_available(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))'])
    : undefined;

  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  checks.push(check('node', true, major > 20 || (major === 20 && minor >= 19), `Node ${process.versions.node} (needs >= 20.19)`, 'install Node 20.19 or newer (nvm install 20)'));

  // Ollama: a configured server, or a binary (PATH / verified cached build).
  if (config.services.ollama.url) {
    checks.push(check('ollama binary', false, true, `not needed: services.ollama.url = ${config.services.ollama.url}`));
  } else {
    const onPath = findOnPath('ollama');
    const cached = await inspectCachedOllama(layout, config.services.ollama.version);
    checks.push(
      onPath
        ? check('ollama binary', true, true, `on PATH: ${onPath}`)
        : cached.state === 'ok'
          ? check('ollama binary', true, true, `built ${config.services.ollama.version}, checksum ok: ${cached.path}`)
          : check('ollama binary', true, false, cached.state === 'corrupt' ? `cached build is corrupt (${cached.reason})` : cached.state === 'stale' ? `cached build is stale: ${cached.reason}` : `no ollama on PATH and no cached build of ${config.services.ollama.version}`, BOOTSTRAP),
    );
  }

  let chromaCli = true;
  try {
    chromaCliScript();
  } catch {
    chromaCli = false;
  }
  if (!config.services.chroma.url) checks.push(check('chroma cli', true, chromaCli, chromaCli ? 'npm chromadb `chroma run` available' : 'the chromadb npm package is not installed', BOOTSTRAP));

  // Model assets.
  const gguf = await hasChecksum(layout.baseGguf, SMOLLM2_GGUF.sha256);
  checks.push(check('base model file', true, gguf, gguf ? `SmolLM2-135M-Instruct Q4_1, checksum ok: ${layout.baseGguf}` : existsSync(layout.baseGguf) ? `${layout.baseGguf} does not match its pinned checksum` : `${layout.baseGguf} is missing`, BOOTSTRAP));
  if (config.models.embedding.source === 'local') {
    const folder = await inspectEmbeddingFolder(layout);
    const dtype = config.models.embedding.dtype;
    const ok = folder.state === 'ok' && (dtype === 'q8' || (dtype === 'fp32' ? folder.manifest.fp32 : folder.manifest.int8 === true));
    const detail = folder.state === 'ok'
      ? ok ? `all-MiniLM-L6-v2 (${dtype}), checksums ok: ${folder.dir}` : `the folder has no ${dtype} ONNX export (built without python/.venv, or before int8 existed)`
      : folder.state === 'missing' ? `${layout.embeddingModelDir} is missing` : `${layout.embeddingModelDir} is corrupt (${folder.reason})`;
    checks.push(check('embedding model', true, ok, detail, BOOTSTRAP));
  } else {
    checks.push(check('embedding model', false, true, `from the hub: ${config.models.embedding.hubId} (downloaded on first use)`));
  }

  // Services (state of this state root).
  const services = servicesFromConfig(config, paths);
  for (const service of [services.chroma, services.ollama]) {
    const s = await service.status();
    const configured = s.source === 'configured';
    checks.push(check(
      service.name,
      configured,
      s.state === 'running',
      s.state === 'running' ? `${s.source === 'ours' ? `started by web4 (pid ${s.pid})` : s.source}: ${s.url}` : (s.detail ?? 'not running'),
      configured ? `start the server at ${s.url}, or unset services.${service.name}.url` : 'web4 services up',
      !configured,
    ));
    if (service.name === 'ollama' && s.state === 'running' && s.url) {
      const models = await listOllamaModels(s.url).catch(() => [] as string[]);
      const base = config.models.baseModel.includes(':') ? config.models.baseModel : `${config.models.baseModel}:latest`;
      checks.push(check('base model in ollama', false, models.includes(base), models.includes(base) ? `${base} present` : `${base} is not imported in ${s.url}`, 'web4 services up', true));
    }
  }

  // Python trainer environment: present, installed from the current pyproject, importable.
  if (!probing) {
    checks.push(check('python env', true, false, 'python/.venv is missing', BOOTSTRAP));
  } else {
    const probe = await probing;
    if (probe.code !== 0) {
      checks.push(check('python env', true, false, `python/.venv cannot import the trainer's packages: ${probe.stderr.trim().split('\n').pop()}`, `rm -rf python/.venv && ${BOOTSTRAP}`));
    } else {
      const v = JSON.parse(probe.stdout.trim().split('\n').pop()!) as { torch: string; transformers: string; peft: string; cuda: boolean; gpu: string | null };
      const stale = !pythonEnvUpToDate(repoRoot);
      checks.push(check('python env', true, !stale, `torch ${v.torch}, transformers ${v.transformers}, peft ${v.peft}${stale ? '; python/pyproject.toml changed since install' : ''}`, BOOTSTRAP, stale));
      checks.push(check('gpu', false, v.cuda, v.cuda ? `CUDA: ${v.gpu}` : 'no CUDA GPU: training runs on CPU (slower, still works)', undefined, true));
    }
  }

  // Disk space where the state and the cache live: < 1 GiB fails, < 5 GiB warns.
  for (const [label, dir] of [['disk (state root)', paths.root], ['disk (cache)', paths.cacheDir]] as const) {
    const at = nearestExisting(dir);
    const stats = statfsSync(at);
    const free = (stats.bavail * stats.bsize) / GIB;
    const detail = `${free.toFixed(1)} GiB free at ${at}`;
    const fix = 'free disk space: the venv (~6 GiB), Ollama models and adapter backups need room';
    checks.push(free < 1 ? check(label, true, false, detail, fix) : check(label, true, free >= 5, detail, fix, true));
  }

  return { ok: !checks.some((c) => c.required && c.status === 'fail'), checks };
}
