import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// @ts-expect-error -- a plain .mjs without types: bootstrap runs it before node_modules exists
import { prebuildFile } from './native-prebuild.mjs';

/**
 * The libraries as another TypeScript project gets them: `nx release publish` (which builds them
 * first: build → package → nx-release-publish) into a real npm registry (verdaccio, started here
 * on a free port with its own storage), then a project in a temporary folder outside this
 * repository installs @web4/metrics-store and @web4/rag-tiers from it (third-party packages from
 * the normal registry and the npm cache), type-checks with tsc and runs with plain node: it logs
 * queries through QueryLogger, reads the monitoring report and retrieves from a Chroma collection
 * (the test run's own server) with the local embedding model, embedding in the worker processes
 * that @web4/rag-tiers forks from its own folder.
 */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NX = join(REPO, 'node_modules/nx', (JSON.parse(readFileSync(join(REPO, 'node_modules/nx/package.json'), 'utf8')) as { bin: { nx: string } }).bin.nx);
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const chromaUrl = process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl');

const work = mkdtempSync(join(tmpdir(), 'web4-packages-'));
const consumer = join(work, 'consumer');
let registry = '';
let verdaccio: ChildProcess | undefined;

// The environment of every command: none of the npm_* variables that `npm test` sets for this
// repository (npm_config_local_prefix and the like would point npm in the consumer back here),
// no NODE_OPTIONS (the consumer runs on plain node), and the cached better-sqlite3 binary when
// this machine has one (tools/native-prebuild.mjs).
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_OPTIONS$|INIT_CWD$|VITEST|NX_TASK)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...extra };
}

function nativePrebuilds(): Record<string, string> {
  const cacheDir = resolve((process.env.WEB4_PATHS__CACHE_DIR ?? '~/.cache/web4').replace(/^~(?=$|\/)/, homedir()));
  const file = prebuildFile(REPO, cacheDir) as string | undefined;
  return file && existsSync(file) ? { npm_config_better_sqlite3_local_prebuilds: dirname(file) } : {};
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv(), timeout = 600_000): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => done(port));
    });
    s.on('error', fail);
  });
}

/**
 * verdaccio 6 declares Node >= 22 and its CLI refuses to start on 20; its server runs on 20, so
 * it is started through its programmatic API. @web4/* is published and read here only (no
 * uplink): the consumer takes everything else from the normal registry.
 */
async function startRegistry(): Promise<void> {
  const port = await freePort();
  const dir = join(work, 'registry');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '@web4/*':",
      '    access: $all',
      '    publish: $anonymous',
      "  '**':",
      '    access: $all',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const entry = join(REPO, 'node_modules/verdaccio/build/index.mjs');
  const script = `const { runServer } = await import(${JSON.stringify(entry)}); const app = await runServer(process.argv[1]); app.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));`;
  verdaccio = spawn(process.execPath, ['--input-type=module', '-e', script, config, String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
  let log = '';
  verdaccio.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  verdaccio.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  registry = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${registry}-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    if (verdaccio.exitCode !== null || Date.now() > deadline) throw new Error(`verdaccio did not start on ${registry}: ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const LIBRARIES = readdirSync(join(REPO, 'libs')).map((dir) => (JSON.parse(readFileSync(join(REPO, 'libs', dir, 'package.json'), 'utf8')) as { name: string }).name);

const lockVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }).packages[`node_modules/${name}`]!.version;

function writeProject(dir: string, dependencies: Record<string, string>, devDependencies: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'web4-consumer', version: '1.0.0', private: true, type: 'module', dependencies, devDependencies }, null, 2));
  // The scope's registry, and the line without which onnxruntime-node's install fetches CUDA
  // files from outside (see this repository's .npmrc).
  writeFileSync(join(dir, '.npmrc'), `@web4:registry=${registry}\nonnxruntime-node-install-cuda=skip\n`);
}

function runConsumer(root: string): { code: number; out: string } {
  return run(process.execPath, ['dist/main.js', root, chromaUrl], consumer, cleanEnv(), 300_000);
}

beforeAll(async () => {
  await startRegistry();
  // A throwaway token: npm publish wants one for the registry; verdaccio lets anonymous users publish @web4/*.
  const userconfig = join(work, 'publish.npmrc');
  writeFileSync(userconfig, `//${registry.replace(/^http:\/\//, '')}:_authToken=throwaway-test-token\n`);
  const published = run(process.execPath, [NX, 'release', 'publish', '--registry', registry], REPO, cleanEnv({ npm_config_userconfig: userconfig }), 900_000);
  // On failure: the lines that say what failed (a compile error is far above the tail), then the tail.
  const why = published.out.split('\n').filter((l) => /error|failed/i.test(l) && !/^\s*[\d.]+k?B\s/.test(l)).slice(0, 40).join('\n');
  expect(published.code, `${why}\n…\n${published.out.slice(-3000)}`).toBe(0);

  writeProject(
    consumer,
    // The program uses core, metrics-store and rag-tiers; the other libraries are installed to
    // check that each entry loads. better-sqlite3 at this repository's version: the binary cached
    // for it installs without a compiler.
    { ...Object.fromEntries(LIBRARIES.map((name) => [name, '0.1.0'])), 'better-sqlite3': lockVersion('better-sqlite3') },
    { '@types/node': `^${lockVersion('@types/node')}` },
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, rootDir: 'src', outDir: 'dist', types: ['node'] },
      include: ['src'],
    }),
  );
  mkdirSync(join(consumer, 'src'));
  copyFileSync(join(REPO, 'tools/test/consumer/main.ts'), join(consumer, 'src/main.ts'));
  const installed = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline'], consumer, cleanEnv(nativePrebuilds()));
  expect(installed.code, installed.out.slice(-4000)).toBe(0);
}, 1_200_000);

afterAll(() => {
  verdaccio?.kill();
  rmSync(work, { recursive: true, force: true });
});

describe('the libraries in another project', () => {
  it('are installed as built JavaScript with declarations (no TypeScript sources)', () => {
    for (const name of ['core', 'storage', 'local-services', 'metrics-store', 'rag-tiers']) {
      const dir = join(consumer, 'node_modules/@web4', name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; private?: boolean; engines: { node: string } };
      expect(manifest.exports['.']).toEqual({ types: './index.d.ts', default: './index.js' });
      expect(manifest.engines.node).toBe('>=20.19');
      expect(existsSync(join(dir, 'index.js')) && existsSync(join(dir, 'index.d.ts')) && existsSync(join(dir, 'index.js.map'))).toBe(true);
      expect(readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    }
    expect(existsSync(join(consumer, 'node_modules/@web4/rag-tiers/embedding/embed-worker.js'))).toBe(true);
  });

  it('type-checks with tsc and runs with plain node: logs queries, reads the report, retrieves from Chroma', () => {
    const compiled = run(process.execPath, [TSC, '-p', '.'], consumer);
    expect(compiled.code, compiled.out).toBe(0);
    const ran = runConsumer(join(work, 'root'));
    expect(ran.code, ran.out).toBe(0);
    const seen = JSON.parse(ran.out.trim().split('\n').at(-1)!) as { embeddedByPool: boolean; dimensions: number; top: string[]; tiersUsed: string[]; queries: number; verdict: string };
    expect(seen.embeddedByPool).toBe(true);
    expect(seen.dimensions).toBe(384);
    expect(seen.top).toHaveLength(3);
    for (const text of seen.top) expect(text).toContain('the chunker looped');
    expect(seen.tiersUsed).toEqual(['chroma']);
    expect(seen.queries).toBe(2);
    expect(['met', 'missed', 'unknown']).toContain(seen.verdict);
  });

  it('every library entry loads under plain node', () => {
    expect(LIBRARIES.length).toBeGreaterThanOrEqual(13);
    const script = `for (const name of ${JSON.stringify(LIBRARIES)}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing'); }`;
    const r = run(process.execPath, ['--input-type=module', '-e', script], consumer);
    expect(r.code, r.out).toBe(0);
  });

  it("refuses an import of a library's internal path, naming the public entry", () => {
    const r = run(process.execPath, ['--input-type=module', '-e', "await import('@web4/metrics-store/src/query-logger.js')"], consumer);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('@web4/metrics-store: this path is internal to the package. Import from "@web4/metrics-store", its public entry');
  });

  it('says how to rebuild a missing native build of better-sqlite3, and that advice works', () => {
    const addon = join(consumer, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(existsSync(addon)).toBe(true);
    renameSync(addon, `${addon}.moved`);
    try {
      const r = runConsumer(join(work, 'root-no-addon'));
      expect(r.code).not.toBe(0);
      // The error itself says what to run (the addon loader's list of tried paths follows only as its cause).
      expect(r.out).toMatch(/StorageError: better-sqlite3 has no compiled addon \(better_sqlite3\.node\): run `npm rebuild better-sqlite3` in your project/);
    } finally {
      rmSync(`${addon}.moved`, { force: true });
    }
    const rebuilt = run(NPM, ['rebuild', 'better-sqlite3'], consumer, cleanEnv(nativePrebuilds()));
    expect(rebuilt.code, rebuilt.out).toBe(0);
    expect(existsSync(addon)).toBe(true);
    expect(runConsumer(join(work, 'root-rebuilt')).code).toBe(0);
  });

  it('tells a consumer on an unsupported Node version at install (engines), an error with engine-strict', () => {
    const old = join(work, 'old-node');
    writeProject(old, { '@web4/core': '0.1.0' });
    // npm checks engines against the Node that runs it; this one reports itself as 18.0.0.
    const fake = join(work, 'node18.cjs');
    writeFileSync(fake, "Object.defineProperty(process, 'version', { value: 'v18.0.0' });\nObject.defineProperty(process.versions, 'node', { value: '18.0.0' });\n");
    const asNode18 = cleanEnv({ NODE_OPTIONS: `--require ${fake}` });
    const warned = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline'], old, asNode18);
    expect(warned.out).toMatch(/EBADENGINE Unsupported engine[\s\S]*package: '@web4\/core@0\.1\.0'[\s\S]*required: \{ node: '>=20\.19' \}/);
    rmSync(join(old, 'node_modules'), { recursive: true, force: true });
    rmSync(join(old, 'package-lock.json'), { force: true });
    const refused = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--engine-strict'], old, asNode18);
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain('Not compatible with your version of node/npm: @web4/core@0.1.0');
    expect(refused.out).toContain('Required: {"node":">=20.19"}');
    expect(existsSync(join(old, 'node_modules/@web4/core'))).toBe(false);
  });
});
