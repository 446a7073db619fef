import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs without types: bootstrap runs it before node_modules exists
import { NATIVE, npmEnv, prebuildFile, savePrebuild } from './native-prebuild.mjs';

/**
 * The better-sqlite3 binary compiled once is reused by the next `npm install` of the same
 * version (real npm, real prebuild-install, the registry for the package itself).
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'web4-prebuild-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const cacheDir = join(scratch, 'cache');

describe('better-sqlite3 binary cached across clones', () => {
  it('is named as prebuild-install looks for it, saved once from a working build, and installed by npm without compiling', () => {
    const file = prebuildFile(repo, cacheDir) as string;
    const version = /-v(\d+\.\d+\.\d+)-/.exec(file)![1]!;
    expect(file).toBe(join(cacheDir, 'prebuilds', `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`));
    expect(savePrebuild(repo, file)).toBe('saved');
    expect(savePrebuild(repo, file)).toBe('kept');
    expect(execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim()).toBe(NATIVE.binary);

    // A project that installs the same version with the cache handed over: unpacked, not compiled.
    const project = join(scratch, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'prebuild-check', version: '1.0.0', private: true }));
    const t0 = Date.now();
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `better-sqlite3@${version}`], { cwd: project, env: npmEnv(file), encoding: 'utf8', timeout: 300_000 });
    expect(install.status, install.stderr).toBe(0);
    const release = join(project, 'node_modules', 'better-sqlite3', 'build', 'Release');
    expect(readdirSync(release)).toEqual(['better_sqlite3.node']); // a compile leaves obj/, obj.target/, sqlite3.a …
    expect(Date.now() - t0).toBeLessThan(120_000);
    const check = "const D=require(process.argv[1]); const db=new D(':memory:'); db.exec('create virtual table t using fts5(x)'); process.stdout.write(db.prepare('select sqlite_version() v').get().v)";
    expect(execFileSync(process.execPath, ['-e', check, join(project, 'node_modules', 'better-sqlite3')], { encoding: 'utf8' })).toMatch(/^3\.\d+\.\d+$/);
  }, 300_000);

  it('a binary that does not load is not cached; no cached file means npm gets no prebuild setting', () => {
    const broken = join(scratch, 'broken');
    mkdirSync(join(broken, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
    writeFileSync(join(broken, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), 'not an ELF file');
    const file = join(scratch, 'other-cache', 'prebuilds', 'better-sqlite3-v0.0.0-node-v0-linux-x64.tar.gz');
    expect(savePrebuild(broken, file)).toBe('does not load');
    expect(npmEnv(file, {})).toEqual({});
    expect(prebuildFile(join(scratch, 'no-repo'), cacheDir)).toBeUndefined();
  });
});
