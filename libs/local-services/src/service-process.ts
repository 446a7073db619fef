import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServiceError, sleep } from '@web4/core';
import { clearServiceRecord, isProcessRunning, readServiceRecord, writeServiceRecord, type ServiceRecord } from './pid-file.js';

/** GET a health URL; true on a 2xx answer within the timeout. */
export async function isHealthy(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 12): string {
  if (!existsSync(file)) return '(no log)';
  const size = statSync(file).size;
  const text = readFileSync(file, 'utf8').slice(Math.max(0, size - 8_000));
  return text.trim().split('\n').slice(-lines).join('\n');
}

export interface StartSpec {
  name: string;
  program: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  host: string;
  port: number;
  url: string;
  healthUrl: string;
  logFile: string;
  recordFile: string;
  dataDir: string;
  timeoutS: number;
}

/**
 * Start a service detached (its own process group, output appended to its log), record it, and
 * wait for its health check. A process that exits or never answers is stopped and reported with
 * the tail of its log.
 */
export async function startService(spec: StartSpec): Promise<ServiceRecord> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  let exited: number | null | undefined;
  let child;
  try {
    child = spawn(spec.program, spec.args, { env: spec.env, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const spawnError = await new Promise<Error | undefined>((resolvePromise) => {
    child.once('spawn', () => resolvePromise(undefined));
    child.once('error', (error) => resolvePromise(error));
  });
  if (spawnError) {
    throw new ServiceError(`Could not start ${spec.name}: ${spawnError.message} (${spec.program}).`, {
      hint: `check that ${spec.program} exists and is executable; \`web4 doctor\` lists what is missing`,
    });
  }
  child.on('exit', (code, signal) => {
    exited = code ?? (signal ? -1 : null);
  });
  child.unref();
  const record: ServiceRecord = {
    name: spec.name,
    pid: child.pid!,
    host: spec.host,
    port: spec.port,
    url: spec.url,
    program: spec.program,
    args: spec.args,
    logFile: spec.logFile,
    dataDir: spec.dataDir,
    startedAt: new Date().toISOString(),
  };
  writeServiceRecord(spec.recordFile, record);
  const deadline = Date.now() + spec.timeoutS * 1000;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      clearServiceRecord(spec.recordFile);
      throw new ServiceError(`${spec.name} exited right after starting (exit ${exited}). Last lines of ${spec.logFile}:\n${logTail(spec.logFile)}`, {
        hint: `fix the cause named in the log; if the port ${spec.port} is taken, set services.${spec.name}.port (0 picks a free one)`,
      });
    }
    if (await isHealthy(spec.healthUrl, 1_000)) return record;
    await sleep(250);
  }
  await stopProcess(record);
  clearServiceRecord(spec.recordFile);
  throw new ServiceError(`${spec.name} did not answer ${spec.healthUrl} within ${spec.timeoutS} s. Last lines of ${spec.logFile}:\n${logTail(spec.logFile)}`, {
    hint: 'raise services.startTimeoutS on a slow machine, or read the log for the cause',
  });
}

/** SIGTERM the service's process group, then SIGKILL what is left after `graceMs`. */
export async function stopProcess(record: Pick<ServiceRecord, 'pid' | 'program'>, graceMs = 10_000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isProcessRunning(record.pid, record.program)) return 'not-running';
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-record.pid, signal);
    } catch {
      try {
        process.kill(record.pid, signal);
      } catch {
        // already gone
      }
    }
  };
  signalGroup('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isProcessRunning(record.pid, record.program)) return 'stopped';
    await sleep(100);
  }
  signalGroup('SIGKILL');
  for (let i = 0; i < 50 && isProcessRunning(record.pid, record.program); i++) await sleep(100);
  return 'killed';
}

export { readServiceRecord, clearServiceRecord };
