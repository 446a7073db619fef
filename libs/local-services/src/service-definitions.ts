import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ServiceName = 'chroma' | 'ollama';

/** How to talk to and start one kind of service. */
export interface ServiceDefinition {
  name: ServiceName;
  healthPath: string;
  /** Program and arguments that start a server on host:port keeping its data in dataDir. */
  command(host: string, port: number, dataDir: string, binary?: string): { program: string; args: string[]; env: NodeJS.ProcessEnv };
}

/** The `chroma` CLI of the npm `chromadb` package (native binding pinned to 1.0.5, see package.json overrides). */
export function chromaCliScript(): string {
  const require = createRequire(import.meta.url);
  // chromadb's `exports` hides package.json: find it above the resolved entry point.
  let dir = dirname(require.resolve('chromadb'));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'chromadb') {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the chromadb package folder');
    dir = up;
  }
  const pkgFile = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.chroma;
  if (!bin) throw new Error('the chromadb package has no `chroma` CLI');
  return join(dirname(pkgFile), bin);
}

export const chromaDefinition: ServiceDefinition = {
  name: 'chroma',
  healthPath: '/api/v2/heartbeat',
  command: (host, port, dataDir) => ({
    program: process.execPath,
    args: [chromaCliScript(), 'run', '--path', dataDir, '--host', host, '--port', String(port)],
    env: { ...process.env },
  }),
};

export const ollamaDefinition: ServiceDefinition = {
  name: 'ollama',
  healthPath: '/api/version',
  command: (host, port, dataDir, binary) => ({
    program: binary ?? 'ollama',
    args: ['serve'],
    env: { ...process.env, OLLAMA_HOST: `${host}:${port}`, OLLAMA_MODELS: dataDir },
  }),
};

export const SERVICE_DEFINITIONS: Record<ServiceName, ServiceDefinition> = { chroma: chromaDefinition, ollama: ollamaDefinition };
