import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ServiceError, pidAlive, sleep } from '@web4/core';
import { freePort } from './free-port.js';
import { logTail } from './service-process.js';

/** uid/gid of "nobody": PostgreSQL refuses to run as root, so root runs it as this user. */
const NOBODY = 65534;

/** Where Debian's `postgresql` package puts its programs, newest major version first. */
const DEBIAN_PG_LIB = '/usr/lib/postgresql';

/**
 * The folder holding `initdb`, `pg_ctl` and `postgres`: the one of `pg_ctl` on PATH (Debian's
 * wrappers link there), else the newest /usr/lib/postgresql/<major>/bin. Undefined when
 * PostgreSQL is not installed (the setup of `node tools/bootstrap.mjs` installs Debian's `postgresql` where it can).
 */
export function postgresBinDir(path = process.env.PATH ?? ''): string | undefined {
  const hasAll = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((p) => existsSync(join(dir, p)));
  // Links on PATH (/usr/local/bin/pg_ctl → /usr/lib/postgresql/15/bin/pg_ctl) lead to the folder with createdb too.
  for (const dir of path.split(delimiter).filter(Boolean)) if (hasAll(dir)) return dirname(realpathSync(join(dir, 'pg_ctl')));
  if (!existsSync(DEBIAN_PG_LIB)) return undefined;
  const majors = readdirSync(DEBIAN_PG_LIB)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  return majors.map((v) => join(DEBIAN_PG_LIB, v, 'bin')).find(hasAll);
}

export interface PostgresServerOptions {
  /** An empty or missing folder for the cluster, socket and log; default a new one under the system temp folder. */
  dir?: string;
  /** Default: a free port. */
  port?: number;
  /** Default: postgresBinDir(). */
  binDir?: string;
  /**
   * false (the default for a throwaway server): fsync off, as tests want; a crash of the machine
   * may lose the cluster, which is thrown away anyway.
   */
  durable?: boolean;
  startTimeoutS?: number;
}

/** What a started server is; kept as `server.json` in its folder so other processes find it. */
export interface PostgresServerRecord {
  dir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  binDir: string;
  host: string;
  port: number;
  /** The superuser, trusted on 127.0.0.1 and the socket (no password). */
  user: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** The user the server runs as: `nobody` when we are root. */
  runsAs: string;
  startedAt: string;
}

/**
 * A throwaway PostgreSQL server: `initdb` and `pg_ctl` in a temporary folder, on a free port of
 * 127.0.0.1 with trust authentication, its unix socket in the same folder. As root it runs as
 * "nobody" (postgres refuses root). Used by the tests' global setup and by anyone who wants a
 * disposable server to point `storage.url` at; a team's real server is theirs to run.
 */
export class PostgresServer {
  private constructor(readonly record: PostgresServerRecord) {}

  get url(): string {
    return this.record.url;
  }

  /** The URL of another database on this server. */
  databaseUrl(name: string): string {
    return `postgres://${this.record.user}@${this.record.host}:${this.record.port}/${encodeURIComponent(name)}`;
  }

  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const binDir = options.binDir ?? postgresBinDir();
    if (!binDir) {
      throw new ServiceError('PostgreSQL is not installed: no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin.', {
        hint: 'run `node tools/bootstrap.mjs` (its setup installs Debian\'s postgresql with apt-get), or `sudo apt-get install -y postgresql`',
      });
    }
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'web4-postgres-'));
    try {
      return await PostgresServer.startIn(dir, binDir, options);
    } catch (error) {
      // A folder we made for a server that never started is ours to remove.
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  private static async startIn(dir: string, binDir: string, options: PostgresServerOptions): Promise<PostgresServer> {
    mkdirSync(dir, { recursive: true });
    const asNobody = process.getuid?.() === 0;
    if (asNobody) chownSync(dir, NOBODY, NOBODY);
    const dataDir = join(dir, 'data');
    const logFile = join(dir, 'postgres.log');
    const run = (program: string, args: string[]) => runAs(asNobody, join(binDir, program), args, dir);

    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      // C locale: text sorts by bytes, as SQLite sorts it, so reports order rows the same on both.
      const init = run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', ...(options.durable ? [] : ['--no-sync'])]);
      if (init.status !== 0) {
        const denied = asNobody && /Permission denied/.test(init.stderr ?? '');
        throw new ServiceError(`initdb failed in ${dataDir} (exit ${init.status}): ${tail(init.stderr)}`, {
          hint: denied
            ? `the server runs as "nobody" (postgres refuses root), and nobody cannot reach ${dir}: a folder above it is private (mode 0700); put it under a folder others can traverse (chmod o+x), e.g. the system temp folder`
            : `check that ${dir} is writable${asNobody ? ' by nobody' : ''}`,
        });
      }
    }
    // A free port can be taken between our check and the server's bind: try another one.
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const settings = [
        `-p ${port}`,
        `-k ${dir}`,
        '-c listen_addresses=127.0.0.1',
        '-c max_connections=200',
        ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
      ];
      const started = run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', String(options.startTimeoutS ?? 60), '-o', settings.join(' '), 'start']);
      if (started.status === 0) {
        const record: PostgresServerRecord = {
          dir, dataDir, socketDir: dir, logFile, binDir, host: '127.0.0.1', port, user: 'postgres',
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          runsAs: asNobody ? 'nobody' : (process.env.USER ?? String(process.getuid?.())),
          startedAt: new Date().toISOString(),
        };
        writeFileSync(join(dir, 'server.json'), JSON.stringify(record, null, 2));
        return new PostgresServer(record);
      }
      const log = logTail(logFile);
      if (options.port === undefined && attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      throw new ServiceError(`PostgreSQL did not start on port ${port} (pg_ctl exit ${started.status}).`, {
        hint: `its log ${logFile} ends with:\n${log}`,
        details: { dir, port },
      });
    }
  }

  /** The server recorded in `dir` (server.json) when its postmaster is alive. */
  static find(dir: string): PostgresServer | undefined {
    const file = join(dir, 'server.json');
    if (!existsSync(file)) return undefined;
    const record = JSON.parse(readFileSync(file, 'utf8')) as PostgresServerRecord;
    const pid = postmasterPid(record.dataDir);
    return pid !== undefined && pidAlive(pid) ? new PostgresServer(record) : undefined;
  }

  /** Create a database (owned by the superuser); fails when it exists. */
  createDatabase(name: string): string {
    const r = runAs(process.getuid?.() === 0, join(this.record.binDir, 'createdb'), ['-h', this.record.socketDir, '-p', String(this.record.port), '-U', this.record.user, name], this.record.dir);
    if (r.status !== 0) throw new ServiceError(`createdb ${name} failed: ${tail(r.stderr)}`);
    return this.databaseUrl(name);
  }

  /** Fast shutdown (open sessions are ended), then the folder is removed unless `keep`. */
  stop(options: { keep?: boolean } = {}): void {
    const { dataDir, dir, binDir } = this.record;
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      const r = runAs(process.getuid?.() === 0, join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], dir);
      if (r.status !== 0) {
        const pid = postmasterPid(dataDir);
        if (pid !== undefined && pidAlive(pid)) process.kill(pid, 'SIGQUIT');
      }
    }
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }

  /** Whether the postmaster still runs. */
  get running(): boolean {
    const pid = postmasterPid(this.record.dataDir);
    return pid !== undefined && pidAlive(pid);
  }
}

/**
 * One server shared by every process of a test run, started by the first that asks: `slot` is a
 * folder named by the run (the tests' global setup gives it); a lock file there makes the start
 * happen once. `stopSharedPostgres(slot)` ends it. Runs that never ask start nothing.
 */
export async function sharedPostgres(slot: string, timeoutMs = 120_000): Promise<PostgresServer> {
  // Not recursive: a process that asks after the run's teardown removed the slot must fail, not
  // bring back a folder (and a server) that nothing would stop.
  try {
    mkdirSync(slot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const lock = join(slot, 'lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = PostgresServer.find(join(slot, 'server'));
    if (found) return found;
    let fd: number | undefined;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      // Someone else is starting it; a lock left by a dead process is taken over.
      const holder = Number(readFileSafe(lock));
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) rmSync(lock, { force: true });
      if (Date.now() > deadline) throw new ServiceError(`Timed out waiting for the shared PostgreSQL in ${slot} (lock held by pid ${holder}).`);
      await sleep(100);
      continue;
    }
    try {
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      const again = PostgresServer.find(join(slot, 'server'));
      if (again) return again;
      rmSync(join(slot, 'server'), { recursive: true, force: true });
      return await PostgresServer.start({ dir: join(slot, 'server') });
    } finally {
      unlinkSync(lock);
    }
  }
}

/** Stop the shared server of a run (if one was started) and remove its slot. */
export function stopSharedPostgres(slot: string): void {
  PostgresServer.find(join(slot, 'server'))?.stop();
  rmSync(slot, { recursive: true, force: true });
}

/** The test run's slot folder for the shared server: named by the owning (main) process. */
export const TEST_POSTGRES_PREFIX = 'web4-test-postgres-';

/** Stop shared servers of test runs whose main process died without its teardown. */
export function reapOrphanPostgres(): number {
  let reaped = 0;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(TEST_POSTGRES_PREFIX)) continue;
    const owner = Number(name.slice(TEST_POSTGRES_PREFIX.length));
    if (!Number.isInteger(owner) || pidAlive(owner)) continue;
    stopSharedPostgres(join(tmpdir(), name));
    reaped++;
  }
  return reaped;
}

function runAs(asNobody: boolean, program: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(program, args, {
    cwd,
    encoding: 'utf8',
    // pg_ctl -w returns once the server accepts connections; its postmaster keeps running detached.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C', LC_ALL: 'C' },
    timeout: 120_000,
    ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
  });
}

function postmasterPid(dataDir: string): number | undefined {
  const first = readFileSafe(join(dataDir, 'postmaster.pid')).split('\n')[0];
  const pid = Number(first);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function readFileSafe(file: string): string {
  try {
    return statSync(file).isFile() ? readFileSync(file, 'utf8') : '';
  } catch {
    return '';
  }
}

function tail(text: string | undefined): string {
  return (text ?? '').trim().split('\n').slice(-6).join('\n');
}
