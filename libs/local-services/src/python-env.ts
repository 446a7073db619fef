import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, ServiceError } from '@web4/core';
import { writeFileAtomic } from './atomic-file.js';
import { runChecked, runCommand } from './command.js';

/**
 * What the trainer needs when python/pyproject.toml is not there yet (the package lists the
 * same in its `dev` extra): versions tested here.
 */
export const FALLBACK_PYTHON_PACKAGES = [
  'torch>=2.6,<3',
  'transformers>=5.0,<6',
  'peft>=0.17,<1',
  'accelerate>=1.0,<2',
  'gguf>=0.17,<1',
  'sentence-transformers>=3,<7',
  'onnx>=1.16',
  'onnxruntime>=1.20',
  'pytest>=8',
];

/**
 * Modules a shared environment must provide before a clone links to it (the trainer's
 * dependencies and its `dev` extra). Each is found by `importlib.util.find_spec` and its
 * distribution must have metadata: cheap enough for every bootstrap, unlike importing torch.
 */
export const SHARED_ENV_MODULES: Array<{ module: string; distribution: string }> = [
  { module: 'torch', distribution: 'torch' },
  { module: 'transformers', distribution: 'transformers' },
  { module: 'peft', distribution: 'peft' },
  { module: 'accelerate', distribution: 'accelerate' },
  { module: 'gguf', distribution: 'gguf' },
  { module: 'safetensors', distribution: 'safetensors' },
  { module: 'numpy', distribution: 'numpy' },
  { module: 'pytest', distribution: 'pytest' },
  { module: 'sentence_transformers', distribution: 'sentence-transformers' },
  { module: 'onnx', distribution: 'onnx' },
  { module: 'onnxruntime', distribution: 'onnxruntime' },
  { module: 'pip', distribution: 'pip' },
];

export interface PythonEnv {
  python: string;
  venvDir: string;
  /**
   * `up to date`: the stamp matched and nothing ran. `linked`: python/.venv was made to use a
   * shared environment that another clone (or an earlier run) had built. `installed`: pip ran.
   */
  action: 'up to date' | 'linked' | 'installed';
  /** The shared environment python/.venv uses (under `<cacheDir>/python-envs/`), if any. */
  sharedEnv?: string;
}

export interface PythonEnvOptions {
  /** The interpreter that creates the environments (default `python3`). */
  python?: string;
  onLine?: (line: string) => void;
  /**
   * Where shared environments live (`<cacheDir>/python-envs/<key>`). Without it python/.venv
   * gets its own full install, as before.
   */
  cacheDir?: string;
  /** Progress for people ("building the shared environment …"). */
  log?: (line: string) => void;
  /** How long to wait for another bootstrap that is building the same shared environment. */
  lockWaitMs?: number;
  /** What a shared environment must provide (default SHARED_ENV_MODULES; tests use a small project). */
  requiredModules?: Array<{ module: string; distribution: string }>;
}

export function venvPython(repoRoot: string): string {
  return join(repoRoot, 'python', '.venv', 'bin', 'python');
}

function pyprojectText(repoRoot: string): string {
  const pyproject = join(repoRoot, 'python', 'pyproject.toml');
  return existsSync(pyproject) ? readFileSync(pyproject, 'utf8') : FALLBACK_PYTHON_PACKAGES.join('\n');
}

function stampFor(repoRoot: string): string {
  return createHash('sha256').update(pyprojectText(repoRoot)).digest('hex');
}

const STAMP = '.web4-stamp';
/** Written last into a shared environment, once it is complete and its imports were checked. */
const COMPLETE = '.web4-complete';
/** The .pth file in a clone's python/.venv that points at the shared environment and the clone's own python/. */
const LINK_PTH = 'web4-shared-env.pth';

/**
 * The stamp in python/.venv: the pyproject.toml hash, then `shared <dir>` when the venv uses a
 * shared environment (an older stamp is the hash alone: an environment of its own).
 */
function readStamp(repoRoot: string): { hash: string; shared: string | undefined } | undefined {
  const file = join(repoRoot, 'python', '.venv', STAMP);
  if (!existsSync(file)) return undefined;
  const [hash = '', kind, ...rest] = readFileSync(file, 'utf8').trim().split(' ');
  return { hash, shared: kind === 'shared' ? rest.join(' ') : undefined };
}

/**
 * True when python/.venv exists and was installed from the current pyproject.toml (and, when it
 * uses a shared environment, that environment is still there and complete).
 */
export function pythonEnvUpToDate(repoRoot: string): boolean {
  const stamp = readStamp(repoRoot);
  if (!existsSync(venvPython(repoRoot)) || !stamp || stamp.hash !== stampFor(repoRoot)) return false;
  return stamp.shared === undefined || existsSync(join(stamp.shared, COMPLETE));
}

/**
 * python/.venv for the trainer package and its dependencies. A stamp (hash of pyproject.toml)
 * makes the second run do nothing.
 *
 * With `cacheDir`, the dependencies (about 6 GB, torch with its CUDA libraries) are installed
 * once per machine into `<cacheDir>/python-envs/<key>`, keyed by pyproject.toml and the Python
 * version, and every clone's python/.venv is a small venv whose .pth file adds that shared
 * site-packages and the clone's own python/ folder (so each clone imports its own
 * `web4_trainer`). A venv cannot be moved or copied safely (its paths are absolute), so the
 * shared one stays where it was built and is only read; pip run in a clone's venv installs into
 * the clone, and refuses to uninstall what lies outside it. The shared environment is checked
 * (every module found, every distribution with metadata) before a clone links to it; one that
 * fails the check is built again.
 */
export async function ensurePythonEnv(repoRoot: string, options: PythonEnvOptions = {}): Promise<PythonEnv> {
  const venvDir = join(repoRoot, 'python', '.venv');
  const python = venvPython(repoRoot);
  if (pythonEnvUpToDate(repoRoot)) {
    const shared = readStamp(repoRoot)?.shared;
    return { python, venvDir, action: 'up to date', ...(shared ? { sharedEnv: shared } : {}) };
  }
  const base = options.python ?? 'python3';
  if (options.cacheDir) {
    const shared = await ensureSharedPythonEnv(repoRoot, options.cacheDir, base, options);
    await linkToSharedEnv(repoRoot, shared.dir, base, options.requiredModules);
    return { python, venvDir, action: shared.built ? 'installed' : 'linked', sharedEnv: shared.dir };
  }
  if (existsSync(python) && readStamp(repoRoot)?.shared !== undefined) moveAside(venvDir);
  if (!existsSync(python)) {
    await runChecked(base, ['-m', 'venv', venvDir], 'Creating python/.venv', {
      installHint: 'install Python 3.10+ with the venv module (apt-get install python3-venv)',
    });
  }
  const pyproject = join(repoRoot, 'python', 'pyproject.toml');
  const args = existsSync(pyproject)
    ? ['-m', 'pip', 'install', '--disable-pip-version-check', '-e', `${join(repoRoot, 'python')}[dev]`]
    : ['-m', 'pip', 'install', '--disable-pip-version-check', ...FALLBACK_PYTHON_PACKAGES];
  await runChecked(python, args, 'Installing the Python trainer environment', {
    ...(options.onLine ? { onLine: options.onLine } : {}),
    hint: 'check access to PyPI (pip config list); the full pip output is above',
  });
  writeFileAtomic(join(venvDir, STAMP), stampFor(repoRoot));
  return { python, venvDir, action: 'installed' };
}

/** `3.11.7 linux x86_64 cpython-311 /root/.pyenv/versions/3.11.7/bin/python3.11`: what a venv depends on. */
async function pythonIdentity(base: string): Promise<string> {
  const probe = 'import sys, platform; print(platform.python_version(), sys.platform, platform.machine(), sys.implementation.cache_tag, sys.executable)';
  const result = await runChecked(base, ['-c', probe], `Asking ${base} for its version`, {
    installHint: 'install Python 3.10+ with the venv module (apt-get install python3-venv)',
  });
  return result.stdout.trim();
}

/** `<cacheDir>/python-envs/<key>`: key = pyproject.toml + the interpreter's version and path. */
export async function sharedPythonEnvDir(repoRoot: string, cacheDir: string, base = 'python3'): Promise<string> {
  const identity = await pythonIdentity(base);
  const key = createHash('sha256').update(pyprojectText(repoRoot)).update('\0').update(identity).digest('hex').slice(0, 16);
  return join(cacheDir, 'python-envs', `py${identity.split(' ')[0]}-${key}`);
}

/** The check a shared environment passes before use: modules found, distributions with metadata. */
async function checkSharedEnv(envPython: string, wanted: PythonEnvOptions['requiredModules'] = SHARED_ENV_MODULES): Promise<string | undefined> {
  const script = [
    'import importlib.util, importlib.metadata, json, sys',
    `wanted = json.loads(${JSON.stringify(JSON.stringify(wanted))})`,
    'bad = []',
    'for w in wanted:',
    '    try:',
    '        if importlib.util.find_spec(w["module"]) is None: bad.append(w["module"] + " not found")',
    '        else: importlib.metadata.version(w["distribution"])',
    '    except Exception as e: bad.append(w["module"] + ": " + repr(e))',
    'print("; ".join(bad))',
  ].join('\n');
  const result = await runCommand(envPython, ['-c', script]);
  if (result.code !== 0) return `the check could not run (exit ${result.code}): ${result.stderr.trim().split('\n').pop() ?? ''}`;
  return result.stdout.trim() || undefined;
}

async function ensureSharedPythonEnv(
  repoRoot: string,
  cacheDir: string,
  base: string,
  options: PythonEnvOptions,
): Promise<{ dir: string; built: boolean }> {
  const dir = await sharedPythonEnvDir(repoRoot, cacheDir, base);
  const envPython = join(dir, 'bin', 'python');
  const usable = async (): Promise<boolean> => {
    if (!existsSync(join(dir, COMPLETE)) || !existsSync(envPython)) return false;
    const problem = await checkSharedEnv(envPython, options.requiredModules);
    if (problem) options.log?.(`python env: ⚠️ the shared environment ${dir} fails its check (${problem}); building it again`);
    return !problem;
  };
  if (await usable()) return { dir, built: false };
  const release = await lockDir(`${dir}.lock`, options.lockWaitMs ?? 30 * 60_000, options.log);
  try {
    // Another bootstrap may have finished it while this one waited for the lock.
    if (await usable()) return { dir, built: false };
    rmSync(dir, { recursive: true, force: true });
    options.log?.(`python env: building the shared environment ${dir} (once per machine and pyproject.toml)`);
    await runChecked(base, ['-m', 'venv', dir], `Creating ${dir}`, {
      installHint: 'install Python 3.10+ with the venv module (apt-get install python3-venv)',
    });
    const pyproject = join(repoRoot, 'python', 'pyproject.toml');
    const install = existsSync(pyproject)
      ? ['-m', 'pip', 'install', '--disable-pip-version-check', `${join(repoRoot, 'python')}[dev]`]
      : ['-m', 'pip', 'install', '--disable-pip-version-check', ...FALLBACK_PYTHON_PACKAGES];
    const pipOptions = { ...(options.onLine ? { onLine: options.onLine } : {}), hint: 'check access to PyPI (pip config list); the full pip output is above' };
    await runChecked(envPython, install, 'Installing the Python trainer environment', pipOptions);
    // Only the dependencies stay: each clone adds its own python/ folder, never another clone's copy.
    if (existsSync(pyproject)) await runChecked(envPython, ['-m', 'pip', 'uninstall', '--disable-pip-version-check', '-y', 'web4-trainer'], 'Removing web4-trainer from the shared environment', pipOptions);
    // Once per build, the real thing: every module imported.
    const modules = (options.requiredModules ?? SHARED_ENV_MODULES).map((m) => m.module).join(', ');
    await runChecked(envPython, ['-c', `import ${modules}`], `Checking the shared environment (import ${modules})`);
    const problem = await checkSharedEnv(envPython, options.requiredModules);
    if (problem) throw new ServiceError(`The shared Python environment ${dir} is incomplete: ${problem}.`, { hint: 'read the pip output above; delete that folder and run the bootstrap again' });
    const freeze = await runChecked(envPython, ['-m', 'pip', 'freeze', '--disable-pip-version-check'], 'Listing the shared environment');
    writeFileAtomic(join(dir, COMPLETE), freeze.stdout);
    return { dir, built: true };
  } finally {
    release();
  }
}

/**
 * python/.venv as a small venv (no pip of its own) whose .pth file adds the shared
 * site-packages, then the clone's python/ folder. Checked before the stamp is written.
 */
async function linkToSharedEnv(repoRoot: string, sharedDir: string, base: string, wanted: PythonEnvOptions['requiredModules']): Promise<void> {
  const venvDir = join(repoRoot, 'python', '.venv');
  const python = venvPython(repoRoot);
  // A venv of its own (or one linked elsewhere) is replaced; never half-replaced: no stamp until the end.
  if (existsSync(venvDir)) moveAside(venvDir);
  await runChecked(base, ['-m', 'venv', '--without-pip', venvDir], 'Creating python/.venv', {
    installHint: 'install Python 3.10+ with the venv module (apt-get install python3-venv)',
  });
  const sitePackages = async (interpreter: string): Promise<string[]> => {
    const r = await runChecked(interpreter, ['-c', "import sysconfig; print(sysconfig.get_path('purelib')); print(sysconfig.get_path('platlib'))"], 'Finding site-packages');
    return [...new Set(r.stdout.trim().split('\n'))];
  };
  const [own] = await sitePackages(python);
  const shared = await sitePackages(join(sharedDir, 'bin', 'python'));
  const lines = [
    '# Written by tools/bootstrap.mjs: the shared dependencies (see libs/local-services/src/python-env.ts), then this clone\'s trainer.',
    ...shared.map((dir) => `import site; site.addsitedir(${JSON.stringify(dir)})`),
    join(repoRoot, 'python'),
  ];
  writeFileSync(join(own!, LINK_PTH), lines.join('\n') + '\n');
  // The clone's own package and the shared modules, as its interpreter sees them.
  const check = [
    'import web4_trainer, os, sys',
    `want = ${JSON.stringify(join(repoRoot, 'python', 'web4_trainer'))}`,
    'got = os.path.dirname(os.path.realpath(web4_trainer.__file__))',
    'sys.exit(0 if got == os.path.realpath(want) else "web4_trainer comes from " + got + ", not " + want)',
  ].join('\n');
  if (existsSync(join(repoRoot, 'python', 'web4_trainer'))) await runChecked(python, ['-c', check], 'Checking python/.venv (web4_trainer from this clone)');
  const problem = await checkSharedEnv(python, wanted);
  if (problem) throw new ServiceError(`python/.venv does not see the shared environment ${sharedDir}: ${problem}.`, { hint: `delete ${sharedDir} and python/.venv, then run the bootstrap again` });
  writeFileAtomic(join(venvDir, STAMP), `${stampFor(repoRoot)} shared ${sharedDir}`);
}

/** Rename a folder out of the way and delete it (a rename first, so nothing sees it half-deleted). */
function moveAside(dir: string): void {
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  renameSync(dir, old);
  rmSync(old, { recursive: true, force: true });
}

/**
 * A lock folder with the holder's pid: two bootstraps on one machine build a shared environment
 * once. A lock left by a dead process is taken over.
 */
async function lockDir(lock: string, waitMs: number, log?: (line: string) => void): Promise<() => void> {
  const started = Date.now();
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock, { recursive: false });
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(join(lock, '..'), { recursive: true });
        continue;
      }
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : NaN);
    if (Number.isInteger(pid) && !pidAlive(pid)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > waitMs) {
      throw new ServiceError(`Another process (pid ${pid}) has been building the shared Python environment for over ${Math.round(waitMs / 60_000)} min (${lock}).`, {
        hint: `wait for it, or stop it and delete ${lock}`,
      });
    }
    if (!said) log?.(`python env: waiting for pid ${pid}, which is building the same shared environment`);
    said = true;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
