import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { arch, cpus, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ServiceError } from '@web4/core';
import { extractDeb, extractMembers } from './archive.js';
import type { AssetLayout } from './asset-layout.js';
import { buildAtomically } from './atomic-file.js';
import { sha256File } from './checksum.js';
import { runChecked, runCommand } from './command.js';
import { OLLAMA_BUILD_HEADERS } from './pinned-assets.js';
import { fetchPinned } from './registry-download.js';

export interface OllamaBinary {
  path: string;
  /** `path`: an `ollama` found on PATH; `cache`: built before and verified; `built`: just built. */
  source: 'path' | 'cache' | 'built';
  version: string;
  buildSeconds?: number;
}

/** What we record beside a binary we built, to detect a corrupt or swapped file later. */
export interface OllamaBuildManifest {
  version: string;
  sha256: string;
  builtAt: string;
  buildSeconds: number;
  go: string;
  /** The C/C++ flags of the cgo build (`OLLAMA_CGO_FLAGS`); absent in builds made before them. */
  cflags?: string;
  /** The processor the build was compiled for (`cpuIdentity()`). */
  cpu?: string;
}

/**
 * C and C++ flags of the cgo build. Go's default (`-O2 -g`) names no processor, so ggml's CPU
 * backend compiles its scalar fallbacks: no AVX2, no FMA (Ollama's log then shows
 * `CPU.0.LLAMAFILE=1` and no `AVX` in its `system` line). Ollama's own releases build several
 * CPU variants and pick one at run time; a build made on the machine that runs it can simply
 * target that processor. Measured here (SmolLM2-135M, 2 cores): docs/benchmarks.md, "Ollama
 * built for this processor".
 */
export const OLLAMA_CGO_FLAGS = '-O3 -march=native';

/**
 * The processor a `-march=native` build is for: its model and instruction-set flags
 * (/proc/cpuinfo on Linux; the model name elsewhere), hashed. A build for another processor may
 * use instructions this one lacks, so it is rebuilt.
 */
export function cpuIdentity(cpuinfo: string | undefined = readCpuinfo()): string {
  const field = (name: string): string => cpuinfo?.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim() ?? '';
  const flags = field('flags').split(/\s+/).filter(Boolean).sort().join(' ');
  const model = field('model name') || (cpus()[0]?.model ?? 'unknown');
  return `${arch()} ${model} ${createHash('sha256').update(flags).digest('hex').slice(0, 12)}`;
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}

export function findOnPath(program: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function ollamaVersionDir(layout: AssetLayout, version: string): string {
  return join(layout.ollamaRoot, version);
}

export type CachedBinaryState =
  | { state: 'ok'; path: string; manifest: OllamaBuildManifest }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string }
  /** Intact, but built with other flags or for another processor: rebuilt before use. */
  | { state: 'stale'; reason: string };

/** Check the cached build of `version` against the checksum recorded when it was built. */
export async function inspectCachedOllama(layout: AssetLayout, version: string): Promise<CachedBinaryState> {
  const dir = ollamaVersionDir(layout, version);
  const binary = join(dir, 'ollama');
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(binary) && !existsSync(manifestFile)) return { state: 'missing' };
  if (!existsSync(binary)) return { state: 'corrupt', reason: 'binary missing beside its manifest' };
  if (!existsSync(manifestFile)) return { state: 'corrupt', reason: 'no build manifest (unknown origin)' };
  let manifest: OllamaBuildManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as OllamaBuildManifest;
  } catch {
    return { state: 'corrupt', reason: 'unreadable build manifest' };
  }
  const actual = await sha256File(binary);
  if (actual !== manifest.sha256) return { state: 'corrupt', reason: `sha256 ${actual.slice(0, 12)}… differs from the ${manifest.sha256.slice(0, 12)}… recorded at build time` };
  if (manifest.cflags !== OLLAMA_CGO_FLAGS) {
    return { state: 'stale', reason: `built with C flags ${manifest.cflags ? `"${manifest.cflags}"` : "Go's default (no processor named: ggml's scalar CPU code)"}, not "${OLLAMA_CGO_FLAGS}"` };
  }
  const cpu = cpuIdentity();
  if (manifest.cpu !== cpu) return { state: 'stale', reason: `built for another processor (${manifest.cpu ?? 'unknown'}; this one: ${cpu})` };
  return { state: 'ok', path: binary, manifest };
}

/**
 * Gather the headers that the Go module zip lacks (its vendor/ folders are dropped by the
 * module proxy) into one include folder for CGO_CPPFLAGS.
 */
async function prepareBuildHeaders(layout: AssetLayout, includeDir: string, python: string): Promise<void> {
  const scratch = mkdtempSync(join(layout.cacheDir, '.headers-'));
  try {
    for (const asset of OLLAMA_BUILD_HEADERS) {
      const file = await fetchPinned(asset, layout.downloadsDir, python);
      if (asset.kind === 'deb') {
        const unpacked = join(scratch, asset.name);
        await extractDeb(file, unpacked);
        const sub = asset.name.startsWith('nlohmann') ? 'nlohmann' : 'stb';
        cpSync(join(unpacked, 'usr', 'include', sub), join(includeDir, sub), { recursive: true });
      } else {
        await extractMembers(file, { [`miniaudio-${asset.version}/miniaudio/miniaudio.h`]: join(includeDir, 'miniaudio', 'miniaudio.h') }, python);
      }
    }
    for (const header of ['nlohmann/json.hpp', 'nlohmann/json_fwd.hpp', 'stb/stb_image.h', 'miniaudio/miniaudio.h']) {
      if (!existsSync(join(includeDir, header))) throw new ServiceError(`The Ollama build needs ${header}, which the header packages did not provide.`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The header folder at a fixed path outside the cache dir (under the OS temp dir, rebuilt when
 * missing): cgo flags are part of Go's build-cache key, so one stable path lets every rebuild
 * (a corrupt binary, another cache dir) reuse the compiled C++ instead of spending minutes
 * compiling it again. Written beside and renamed into place; an existing complete folder wins.
 */
async function ensureBuildHeaders(layout: AssetLayout, version: string, python: string): Promise<string> {
  const dir = join(tmpdir(), 'web4-ollama-build', `include-${version}`);
  const stamp = join(dir, '.complete');
  if (existsSync(stamp)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    await prepareBuildHeaders(layout, tmp, python);
    writeFileSync(join(tmp, '.complete'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true }); // an incomplete leftover
    try {
      renameSync(tmp, dir);
    } catch {
      // another build finished it first
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Build Ollama from its Go module with the CPU backend compiled in through cgo, for this
 * processor (`OLLAMA_CGO_FLAGS`). The binary and
 * its manifest are written in a temporary folder and renamed into place together, so a failed
 * or interrupted build never leaves a half-written binary where a good one was.
 */
export async function buildOllama(
  layout: AssetLayout,
  version: string,
  options: { python?: string; onLine?: (line: string) => void } = {},
): Promise<OllamaBinary> {
  const python = options.python ?? 'python3';
  const goVersion = await runCommand('go', ['version'], {
    installHint: 'install Go 1.24 or newer (https://go.dev/dl) to build Ollama, or install Ollama / set services.ollama.url',
  });
  for (const compiler of ['gcc', 'g++']) {
    if (!findOnPath(compiler)) throw new ServiceError(`${compiler} is not installed; the Ollama build compiles its CPU backend with it.`, { hint: 'apt-get install build-essential' });
  }
  mkdirSync(layout.ollamaRoot, { recursive: true });
  const dir = ollamaVersionDir(layout, version);
  const started = Date.now();
  await buildAtomically(dir, async (tmp) => {
    mkdirSync(tmp, { recursive: true });
    const includeDir = await ensureBuildHeaders(layout, version, python);
    const plainVersion = version.replace(/^v/, '');
    await runChecked(
      'go',
      ['install', '-ldflags', `-X github.com/ollama/ollama/version.Version=${plainVersion}`, `github.com/ollama/ollama@${version}`],
      `Building Ollama ${version} from its Go module`,
      {
        env: { ...process.env, CGO_ENABLED: '1', CGO_CPPFLAGS: `-I${includeDir}`, CGO_CFLAGS: OLLAMA_CGO_FLAGS, CGO_CXXFLAGS: OLLAMA_CGO_FLAGS, GOBIN: tmp, GOFLAGS: '-mod=mod' },
        ...(options.onLine ? { onLine: options.onLine } : {}),
        hint: 'check access to the Go module proxy (go env GOPROXY) and that gcc/g++ work; the full output is above',
      },
    );
    const manifest: OllamaBuildManifest = {
      version,
      sha256: await sha256File(join(tmp, 'ollama')),
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - started) / 100) / 10,
      go: goVersion.stdout.trim(),
      cflags: OLLAMA_CGO_FLAGS,
      cpu: cpuIdentity(),
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  });
  const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
  return { path: join(dir, 'ollama'), source: 'built', version, buildSeconds };
}

/**
 * The Ollama binary to run: one on PATH first, else our verified cached build, else a fresh
 * build (a corrupt cached one is rebuilt).
 */
export async function ensureOllamaBinary(
  layout: AssetLayout,
  version: string,
  options: { python?: string; onLine?: (line: string) => void; usePath?: boolean; onRebuild?: (reason: string) => void } = {},
): Promise<OllamaBinary> {
  if (options.usePath !== false) {
    const onPath = findOnPath('ollama');
    if (onPath) return { path: onPath, source: 'path', version: 'installed' };
  }
  const cached = await inspectCachedOllama(layout, version);
  if (cached.state === 'ok') return { path: cached.path, source: 'cache', version };
  if (cached.state === 'corrupt' || cached.state === 'stale') options.onRebuild?.(cached.reason);
  return buildOllama(layout, version, options);
}
