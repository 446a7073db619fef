import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { runChecked } from './command.js';

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
  'pytest>=8',
];

export interface PythonEnv {
  python: string;
  venvDir: string;
  /** `up to date`: the stamp matched and nothing ran. */
  action: 'up to date' | 'installed';
}

export function venvPython(repoRoot: string): string {
  return join(repoRoot, 'python', '.venv', 'bin', 'python');
}

function stampFor(repoRoot: string): string {
  const pyproject = join(repoRoot, 'python', 'pyproject.toml');
  const h = createHash('sha256');
  h.update(existsSync(pyproject) ? readFileSync(pyproject) : FALLBACK_PYTHON_PACKAGES.join('\n'));
  return h.digest('hex');
}

/** True when python/.venv exists and was installed from the current pyproject.toml. */
export function pythonEnvUpToDate(repoRoot: string): boolean {
  const stamp = join(repoRoot, 'python', '.venv', '.web4-stamp');
  return existsSync(venvPython(repoRoot)) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === stampFor(repoRoot);
}

/**
 * python/.venv with the trainer package (editable, with its dev extra) and its dependencies.
 * A stamp (hash of pyproject.toml) makes the second run do nothing; pip's own cache
 * (~/.cache/pip) makes a fresh venv on a known machine fast.
 */
export async function ensurePythonEnv(
  repoRoot: string,
  options: { python?: string; onLine?: (line: string) => void } = {},
): Promise<PythonEnv> {
  const venvDir = join(repoRoot, 'python', '.venv');
  const python = venvPython(repoRoot);
  if (pythonEnvUpToDate(repoRoot)) return { python, venvDir, action: 'up to date' };
  const base = options.python ?? 'python3';
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
  writeFileAtomic(join(venvDir, '.web4-stamp'), stampFor(repoRoot));
  return { python, venvDir, action: 'installed' };
}
