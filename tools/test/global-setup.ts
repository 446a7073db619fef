import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_POSTGRES_PREFIX, reapOrphanPostgres, stopSharedPostgres } from '@web4/local-services';
import type { TestProject } from 'vitest/node';
import { startTestServices, type TestServices } from './test-services.js';
import { nobodyCannotRunHere } from './as-nobody.js';

/**
 * Starts the real services the integration tests need (Chroma, Ollama) once per run, on free
 * ports, and stops them at the end.
 *
 * Vitest 3 runs a workspace's globalSetup once per project, all in the main process and all
 * before the first test file starts. The servers are therefore kept on `globalThis` with a
 * count of the projects using them: the first project starts them, the last teardown stops
 * them. Their URLs reach the test workers through the environment (forked workers inherit it;
 * `loadConfig()` reads WEB4_SERVICES__*__URL) and through `inject('chromaUrl' | 'ollamaUrl')`.
 *
 * WEB4_TEST_SERVICES=off skips starting them (unit tests only); URLs already in the
 * environment are used as they are.
 */
interface Shared {
  users: number;
  services: Promise<TestServices | undefined>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    chromaUrl: string;
    ollamaUrl: string;
    /** Why permission tests cannot run their subject as "nobody" here ('' when they can). */
    asNobodyBlocked: string;
    /**
     * Folder of this run's PostgreSQL: nothing is started until a test calls
     * `sharedPostgres(inject('postgresSlot'))` (@web4/local-services); the last teardown stops it.
     */
    postgresSlot: string;
  }
}

const KEY = Symbol.for('web4.testServices');
const holder = globalThis as unknown as Record<symbol, Shared | undefined>;

function onExitKill(services: TestServices): void {
  // Last resort when the runner exits without teardown (an uncaught error, Ctrl-C twice).
  process.once('exit', () => {
    for (const file of ['chroma', 'ollama']) {
      try {
        const record = JSON.parse(readFileSync(`${services.dir}/services/${file}.json`, 'utf8')) as { pid: number };
        process.kill(-record.pid, 'SIGKILL');
      } catch {
        // already stopped
      }
    }
  });
}

/** PostgreSQL is started lazily by the first test that asks for it: here only its folder is named. */
const PG_KEY = Symbol.for('web4.testPostgres');
function usePostgresSlot(project: TestProject): () => void {
  const slots = globalThis as unknown as Record<symbol, { users: number; slot: string } | undefined>;
  if (!slots[PG_KEY]) {
    reapOrphanPostgres();
    const slot = join(tmpdir(), `${TEST_POSTGRES_PREFIX}${process.pid}`);
    slots[PG_KEY] = { users: 0, slot };
    // Last resort when the runner exits without teardown.
    process.once('exit', () => stopSharedPostgres(slot));
  }
  const shared = slots[PG_KEY]!;
  shared.users++;
  project.provide('postgresSlot', shared.slot);
  return () => {
    if (--shared.users > 0) return;
    slots[PG_KEY] = undefined;
    stopSharedPostgres(shared.slot);
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const releasePostgres = usePostgresSlot(project);
  const teardown = await setupServices(project);
  return async () => {
    await teardown();
    releasePostgres();
  };
}

async function setupServices(project: TestProject): Promise<() => Promise<void>> {
  project.provide('asNobodyBlocked', nobodyCannotRunHere() || '');
  const external = !holder[KEY] && process.env.WEB4_SERVICES__CHROMA__URL && process.env.WEB4_SERVICES__OLLAMA__URL;
  if (process.env.WEB4_TEST_SERVICES === 'off' || external) {
    if (external) {
      project.provide('chromaUrl', process.env.WEB4_SERVICES__CHROMA__URL!);
      project.provide('ollamaUrl', process.env.WEB4_SERVICES__OLLAMA__URL!);
    }
    return async () => {};
  }
  let shared = holder[KEY];
  if (!shared) {
    shared = {
      users: 0,
      services: startTestServices().then((services) => {
        process.env.WEB4_SERVICES__CHROMA__URL = services.chromaUrl;
        process.env.WEB4_SERVICES__OLLAMA__URL = services.ollamaUrl;
        onExitKill(services);
        return services;
      }),
    };
    holder[KEY] = shared;
  }
  shared.users++;
  const services = await shared.services;
  if (services) {
    project.provide('chromaUrl', services.chromaUrl);
    project.provide('ollamaUrl', services.ollamaUrl);
  }
  return async () => {
    const current = holder[KEY]!;
    current.users--;
    if (current.users > 0) return;
    holder[KEY] = undefined;
    const started = await current.services;
    await started?.stop();
    delete process.env.WEB4_SERVICES__CHROMA__URL;
    delete process.env.WEB4_SERVICES__OLLAMA__URL;
  };
}
