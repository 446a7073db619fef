#!/usr/bin/env node
// First step of `npm start` and `npm test`: installs everything the project needs, with no
// dependency of its own (it runs before node_modules exists). Each step is skipped when a stamp
// says its inputs have not changed, so a second run is fast.
//
//   node tools/bootstrap.mjs [--skip-python] [--skip-assets] [--quiet]
//
// Steps: Node dependencies (npm ci) → Python trainer environment (python/.venv) → services and
// model assets (tools/setup, which needs the dependencies installed by the first step).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NATIVE, npmEnv, prebuildFile, savePrebuild } from './native-prebuild.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const log = (line) => { if (!quiet) process.stderr.write(line + '\n'); };

function fail(message, hint) {
  process.stderr.write(`bootstrap: ${message}\n${hint ? `  → ${hint}\n` : ''}`);
  process.exit(1);
}

function run(cmd, cmdArgs, options = {}) {
  const r = spawnSync(cmd, cmdArgs, { cwd: repo, stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', ...options });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`, `install ${cmd} and make sure it is on PATH`);
  return r.status ?? 1;
}

function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(existsSync(join(repo, f)) ? readFileSync(join(repo, f)) : '');
  return h.digest('hex');
}

function stamped(stampFile, hash) {
  return existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === hash;
}

function step(name, fn) {
  const t0 = Date.now();
  const note = fn();
  log(`bootstrap: ✓ ${name}${note ? ` (${note})` : ''} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

// 0. Node itself
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  fail(`Node ${process.versions.node} is too old.`, 'install Node 20.19 or newer (nvm install 20)');
}

// Shared by every clone of this user (like tools/setup's assets): config paths.cacheDir's default.
const cacheDir = resolve(repo, (process.env.WEB4_PATHS__CACHE_DIR ?? '~/.cache/web4').replace(/^~(?=$|\/)/, homedir()));

// 1. Node dependencies
step('node dependencies', () => {
  const workspaceManifests = ['package.json', 'package-lock.json', '.npmrc'];
  for (const kind of ['libs', 'apps']) {
    const dir = join(repo, kind);
    if (!existsSync(dir)) continue;
    for (const name of spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
      workspaceManifests.push(`${kind}/${name}/package.json`);
    }
  }
  const hash = hashFiles(workspaceManifests);
  const stamp = join(repo, 'node_modules', '.web4-bootstrap-stamp');
  if (stamped(stamp, hash)) return 'up to date';
  // A fresh clone gets exactly the lock file (npm ci). Where node_modules already exists, npm
  // install updates it in place: npm ci would delete it first, under any process using it.
  const fresh = !existsSync(join(repo, 'node_modules', '.package-lock.json'));
  const lock = existsSync(join(repo, 'package-lock.json'));
  const verb = fresh && lock ? 'ci' : 'install';
  // better-sqlite3's binary, compiled once per machine, comes from the cache (tools/native-prebuild.mjs).
  const prebuild = prebuildFile(repo, cacheDir);
  const reuse = Boolean(prebuild && existsSync(prebuild));
  const status = run('npm', [verb, '--no-audit', '--no-fund', '--loglevel=error'], { env: npmEnv(prebuild) });
  if (status !== 0) fail('npm could not install the dependencies (see above).', `check the network access to the npm registry, then run \`npm ${verb}\` by hand to see the full error`);
  savePrebuild(repo, prebuild);
  writeFileSync(stamp, hash);
  return `npm ${verb}${reuse ? `; ${NATIVE.name} binary from ${prebuild}` : ''}`;
});

// The `crontab` command, for `web4 schedule install` (`web4 schedule run` needs none): Debian's
// cron package where it is missing and apt can install it (as root). Never fatal: a machine
// without it still runs everything else, and the step says what to do.
step('cron (crontab command)', () => {
  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  if (has('crontab')) return 'found';
  if (!has('apt-get')) return '⚠️ not installed and no apt-get: install cron with your package manager for `web4 schedule install`';
  if (process.getuid?.() !== 0) return '⚠️ not installed: `sudo apt-get install cron` for `web4 schedule install`';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'cron'], { stdio: quiet ? 'ignore' : ['ignore', 'ignore', 'inherit'], env }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    if (!install()) return '⚠️ `apt-get install cron` failed (see above): `web4 schedule install` needs it';
  }
  return has('crontab') ? 'installed with apt-get' : '⚠️ apt-get ran but no crontab on PATH';
});

// 2+3. Python environment, services and model assets: done by tools/setup (TypeScript), now
// that the dependencies exist.
const setup = join(repo, 'tools', 'setup', 'main.ts');
if (existsSync(setup) && !args.has('--skip-assets')) {
  const tsx = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const setupArgs = [...args].filter((a) => a !== '--skip-assets');
  const status = run(process.execPath, ['--import', tsx, setup, ...setupArgs], {
    env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning'].filter(Boolean).join(' ') },
  });
  if (status !== 0) process.exit(status);
}
mkdirSync(join(repo, 'node_modules'), { recursive: true });
