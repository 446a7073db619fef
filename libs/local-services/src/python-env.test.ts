import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensurePythonEnv, pythonEnvUpToDate, venvPython } from './python-env.js';

/**
 * Real venvs and a real pip (the build backend comes from PyPI, like the bootstrap's), on a small
 * trainer-shaped project: three clones of it share one environment built once.
 */
const scratch = mkdtempSync(join(tmpdir(), 'web4-pyenv-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const cacheDir = join(scratch, 'cache');
// `pip` stands for torch & co.: a module with distribution metadata that only the shared env provides to the clones.
const requiredModules = [{ module: 'pip', distribution: 'pip' }];

function clone(name: string): string {
  const repo = join(scratch, name);
  mkdirSync(join(repo, 'python', 'web4_trainer'), { recursive: true });
  writeFileSync(
    join(repo, 'python', 'pyproject.toml'),
    ['[build-system]', 'requires = ["setuptools>=68"]', 'build-backend = "setuptools.build_meta"', '[project]', 'name = "web4-trainer"', 'version = "0.1.0"', 'dependencies = []', '[project.optional-dependencies]', 'dev = []', '[tool.setuptools.packages.find]', 'include = ["web4_trainer*"]', ''].join('\n'),
  );
  writeFileSync(join(repo, 'python', 'web4_trainer', '__init__.py'), `CLONE = ${JSON.stringify(name)}\n`);
  return repo;
}

function whichClone(repo: string): string {
  return execFileSync(venvPython(repo), ['-c', 'import web4_trainer, pip; print(web4_trainer.CLONE)'], { encoding: 'utf8' }).trim();
}

describe('python/.venv shared across clones (real venv + pip)', () => {
  it('builds the dependencies once, links every other clone in seconds, each clone imports its own trainer', async () => {
    const a = clone('a');
    const logs: string[] = [];
    const first = await ensurePythonEnv(a, { cacheDir, requiredModules, log: (l) => logs.push(l) });
    expect(first.action).toBe('installed');
    expect(first.sharedEnv!.startsWith(join(cacheDir, 'python-envs'))).toBe(true);
    expect(existsSync(join(first.sharedEnv!, '.web4-complete'))).toBe(true);
    // The shared environment holds the dependencies, never a clone's copy of the trainer.
    expect(() => execFileSync(join(first.sharedEnv!, 'bin', 'python'), ['-c', 'import web4_trainer'], { stdio: 'ignore' })).toThrow();
    expect(whichClone(a)).toBe('a');

    const b = clone('b');
    const t0 = Date.now();
    const second = await ensurePythonEnv(b, { cacheDir, requiredModules });
    const seconds = (Date.now() - t0) / 1000;
    expect(second).toMatchObject({ action: 'linked', sharedEnv: first.sharedEnv });
    expect(seconds).toBeLessThan(20);
    expect(whichClone(b)).toBe('b');
    expect(whichClone(a)).toBe('a');
    // Its own venv is small: no pip, no packages of its own.
    expect(existsSync(join(b, 'python', '.venv', 'bin', 'pip'))).toBe(false);
    expect(pythonEnvUpToDate(b)).toBe(true);
    expect((await ensurePythonEnv(b, { cacheDir, requiredModules })).action).toBe('up to date');

    // pip in a linked clone installs into the clone and will not uninstall the shared pip.
    const uninstall = (() => {
      try {
        return execFileSync(venvPython(b), ['-m', 'pip', 'uninstall', '-y', 'pip'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        return String((error as { stderr?: string }).stderr ?? error);
      }
    })();
    expect(uninstall).toMatch(/outside environment|Not uninstalling/i);
    expect(existsSync(join(first.sharedEnv!, 'bin', 'pip'))).toBe(true);
  }, 300_000);

  it('a shared environment that fails its check is built again; a clone whose shared env is gone is not up to date', async () => {
    const c = clone('c');
    const shared = (await ensurePythonEnv(c, { cacheDir, requiredModules })).sharedEnv!;
    const site = execFileSync(join(shared, 'bin', 'python'), ['-c', "import sysconfig; print(sysconfig.get_path('purelib'))"], { encoding: 'utf8' }).trim();
    for (const entry of readdirSync(site).filter((e) => /^pip-.*\.dist-info$/.test(e))) rmSync(join(site, entry), { recursive: true, force: true });
    const d = clone('d');
    const logs: string[] = [];
    const rebuilt = await ensurePythonEnv(d, { cacheDir, requiredModules, log: (l) => logs.push(l) });
    expect(rebuilt).toMatchObject({ action: 'installed', sharedEnv: shared });
    expect(logs.join('\n')).toMatch(/fails its check \(pip: PackageNotFoundError/);
    expect(whichClone(d)).toBe('d');

    rmSync(shared, { recursive: true, force: true });
    expect(pythonEnvUpToDate(d)).toBe(false);
    expect((await ensurePythonEnv(d, { cacheDir, requiredModules })).action).toBe('installed');
    expect(readFileSync(join(d, 'python', '.venv', '.web4-stamp'), 'utf8')).toContain(` shared ${shared}`);
    expect(whichClone(d)).toBe('d');
  }, 300_000);
});
