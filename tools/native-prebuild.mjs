// better-sqlite3 compiles from source (about a minute on 2 cores) whenever prebuild-install
// cannot download its prebuilt binary, as on machines that reach only the package registries.
// The binary built once is kept in <cacheDir>/prebuilds under the name prebuild-install looks
// for (package version, Node ABI, platform, libc, arch), and handed to the next `npm ci` through
// npm_config_better_sqlite3_local_prebuilds: prebuild-install unpacks it and loads it before
// accepting it, and compiles as before when it is missing or does not load.
//
// No dependencies: tools/bootstrap.mjs uses it before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const NATIVE = { name: 'better-sqlite3', binary: 'build/Release/better_sqlite3.node' };

/** `<cacheDir>/prebuilds/better-sqlite3-v12.11.1-node-v115-linux-x64.tar.gz`, from the lock file's version; undefined without one. */
export function prebuildFile(repo, cacheDir) {
  let version;
  try {
    version = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')).packages?.[`node_modules/${NATIVE.name}`]?.version;
  } catch {
    return undefined;
  }
  if (!version) return undefined;
  const report = process.report?.getReport?.();
  const glibc = process.platform !== 'linux' || Boolean(report?.header?.glibcVersionRuntime);
  const libc = glibc ? '' : 'musl';
  return join(cacheDir, 'prebuilds', `${NATIVE.name}-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`);
}

/** The environment for npm: the cached binary when there is one. */
export function npmEnv(file, env = process.env) {
  return file && existsSync(file) ? { ...env, npm_config_better_sqlite3_local_prebuilds: dirname(file) } : { ...env };
}

/**
 * After npm: keep the binary npm built (or unpacked) in node_modules, once it loads and has
 * FTS5. Returns what it did: `saved`, `kept` (already cached), or why it did not.
 */
export function savePrebuild(repo, file) {
  const pkg = join(repo, 'node_modules', NATIVE.name);
  if (!file) return 'no lock file entry';
  if (existsSync(file)) return 'kept';
  if (!existsSync(join(pkg, NATIVE.binary))) return 'no binary';
  const check = "const D=require(process.argv[1]); const db=new D(':memory:'); db.exec('create virtual table t using fts5(x)'); db.close()";
  if (spawnSync(process.execPath, ['-e', check, pkg], { stdio: 'ignore' }).status !== 0) return 'does not load';
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  if (spawnSync('tar', ['-czf', tmp, '-C', pkg, NATIVE.binary], { stdio: 'ignore' }).status === 0) {
    renameSync(tmp, file);
    return 'saved';
  }
  rmSync(tmp, { force: true });
  return 'tar failed';
}
