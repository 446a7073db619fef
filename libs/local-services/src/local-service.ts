import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from '@web4/core';
import { freePort, portInUse } from './free-port.js';
import { writeFileAtomic } from './atomic-file.js';
import { clearServiceRecord, isProcessRunning, programReplaced, readServiceRecord, type ServiceRecord } from './pid-file.js';
import { SERVICE_DEFINITIONS, type ServiceName } from './service-definitions.js';
import { isHealthy, startService, stopProcess } from './service-process.js';

export interface ServiceStatus {
  name: ServiceName;
  state: 'running' | 'stopped' | 'unhealthy';
  /**
   * `configured`: services.<name>.url; `ours`: started by web4 for this state root (pid file);
   * `external`: a server that answered on an explicitly configured port; `none`: nothing usable.
   */
  source: 'configured' | 'ours' | 'external' | 'none';
  /**
   * A server that answers where ours would be but is not this state root's (another root's, or
   * one started by hand): never used; `up` starts our own on another port.
   */
  foreignUrl?: string;
  url?: string;
  pid?: number;
  logFile?: string;
  dataDir?: string;
  /** A pid file whose process had died (or was another program) was found and removed. */
  staleRecordCleared?: boolean;
  /** What is wrong, for people. */
  detail?: string;
}

export interface LocalServiceOptions {
  name: ServiceName;
  /** Use this server, never start one. */
  url?: string;
  host: string;
  /**
   * An explicitly configured port: a server answering there is used, else ours starts there;
   * 0 starts ours on a free port. Undefined: only our own server is used, started on the port
   * it had last time, else `defaultPort`, else a free one.
   */
  port?: number | undefined;
  /** Where ours starts first when `port` is unset and the port is free. */
  defaultPort?: number;
  /** Pid/record file and log live here. */
  servicesDir: string;
  /** Chroma's --path, or OLLAMA_MODELS. */
  dataDir: string;
  startTimeoutS: number;
  /** The program to run (Ollama: the binary resolved by ensureOllamaBinary); resolved lazily. */
  binary?: () => Promise<string>;
}

/** Where we last started a service: kept after it stops, so the next start and every command find the same port. */
export interface ServiceEndpoint {
  host: string;
  port: number;
  url: string;
  startedAt: string;
}

/**
 * One service's lifecycle: find it (configured URL → our recorded process → a server on an
 * explicitly configured port), start our own when nothing usable is found, stop what we
 * started. A server that merely answers on the default port is not taken: it may be another
 * state root's, and using it would mix their data.
 */
export class LocalService {
  readonly recordFile: string;
  readonly logFile: string;
  /** `<name>.endpoint.json`: the port ours had, tried first by the next start (a stable URL for clients). */
  readonly endpointFile: string;

  constructor(readonly options: LocalServiceOptions) {
    this.recordFile = join(options.servicesDir, `${options.name}.json`);
    this.logFile = join(options.servicesDir, `${options.name}.log`);
    this.endpointFile = join(options.servicesDir, `${options.name}.endpoint.json`);
  }

  /** The endpoint recorded at our last start, if any. */
  endpoint(): ServiceEndpoint | undefined {
    if (!existsSync(this.endpointFile)) return undefined;
    try {
      const e = JSON.parse(readFileSync(this.endpointFile, 'utf8')) as ServiceEndpoint;
      return Number.isInteger(e.port) && e.port > 0 && typeof e.url === 'string' ? e : undefined;
    } catch {
      return undefined; // unreadable: the next start writes it again
    }
  }

  /**
   * The URL this state root uses, without asking the network: the configured URL, our running
   * server (its record), or the explicitly configured port. Undefined when this state root has
   * none running: then nothing may be used in its place (not even its last port, which another
   * root may have taken since).
   */
  knownUrl(): string | undefined {
    const { url, host, port } = this.options;
    if (url) return url;
    const record = readServiceRecord(this.recordFile);
    if (record && isProcessRunning(record.pid, record.program)) return record.url;
    if (port !== undefined && port > 0) return `http://${host}:${port}`;
    return undefined;
  }

  get name(): ServiceName {
    return this.options.name;
  }

  private healthUrl(base: string): string {
    return base.replace(/\/+$/, '') + SERVICE_DEFINITIONS[this.name].healthPath;
  }

  /** Where a server we would use on an explicitly configured port answers. */
  private configuredPortUrl(): string | undefined {
    const { port } = this.options;
    return port !== undefined && port > 0 ? `http://${this.options.host}:${port}` : undefined;
  }

  /** Ports ours would start on when the port is not configured: its last one, then the default. */
  private preferredPorts(): number[] {
    const last = this.endpoint();
    return [...new Set([...(last && last.host === this.options.host ? [last.port] : []), ...(this.options.defaultPort ? [this.options.defaultPort] : [])])];
  }

  async status(): Promise<ServiceStatus> {
    const { name, url } = this.options;
    if (url) {
      const ok = await isHealthy(this.healthUrl(url));
      return { name, source: 'configured', url, state: ok ? 'running' : 'stopped', ...(ok ? {} : { detail: `configured ${name} at ${url} does not answer` }) };
    }
    let staleRecordCleared = false;
    const record = readServiceRecord(this.recordFile);
    if (record) {
      if (isProcessRunning(record.pid, record.program)) {
        const replaced = programReplaced(record.pid);
        const ok = !replaced && (await isHealthy(this.healthUrl(record.url)));
        return {
          name, source: 'ours', url: record.url, pid: record.pid, logFile: record.logFile, dataDir: record.dataDir,
          state: ok ? 'running' : 'unhealthy',
          ...(ok
            ? {}
            : { detail: replaced ? `process ${record.pid} runs a program file that was replaced since it started (a rebuild): \`web4 services up\` restarts it` : `process ${record.pid} is alive but ${this.healthUrl(record.url)} does not answer` }),
        };
      }
      clearServiceRecord(this.recordFile);
      staleRecordCleared = true;
    }
    const portUrl = this.configuredPortUrl();
    if (portUrl && (await isHealthy(this.healthUrl(portUrl)))) {
      return { name, source: 'external', url: portUrl, state: 'running', ...(staleRecordCleared ? { staleRecordCleared } : {}) };
    }
    let foreignUrl: string | undefined;
    if (this.options.port === undefined) {
      for (const port of this.preferredPorts()) {
        const candidate = `http://${this.options.host}:${port}`;
        if (await isHealthy(this.healthUrl(candidate), 1_000)) {
          foreignUrl = candidate;
          break;
        }
      }
    }
    const details = [
      ...(staleRecordCleared ? [`the recorded ${name} process had died; its pid file was removed`] : []),
      ...(foreignUrl
        ? [`a ${name} at ${foreignUrl} is not this state root's (no pid file of ours): it is not used; \`web4 services up\` starts our own on another port, or set services.${name}.url to share it on purpose`]
        : []),
    ];
    return {
      name, source: 'none', state: 'stopped', logFile: this.logFile, dataDir: this.options.dataDir,
      ...(staleRecordCleared ? { staleRecordCleared } : {}),
      ...(foreignUrl ? { foreignUrl } : {}),
      ...(details.length > 0 ? { detail: details.join('; ') } : {}),
    };
  }

  /** Make the service answer: reuse what is running, restart what died, start what is missing. */
  async up(): Promise<ServiceStatus & { started: boolean }> {
    const current = await this.status();
    if (current.state === 'running') return { ...current, started: false };
    if (current.source === 'configured') {
      throw new ServiceError(`The configured ${this.name} at ${current.url} does not answer.`, {
        hint: `start that server, or remove services.${this.name}.url (WEB4_SERVICES__${this.name.toUpperCase()}__URL) to let web4 start its own`,
      });
    }
    if (current.state === 'unhealthy' && current.pid) {
      // Alive but not answering: replace it rather than leave a wedged server holding the port.
      const record = readServiceRecord(this.recordFile);
      if (record) await stopProcess(record);
      clearServiceRecord(this.recordFile);
    }
    const { host } = this.options;
    let port = this.options.port;
    if (port === undefined || port === 0) {
      // Not configured: our last port or the default when free, else any free one (never a found server).
      let chosen: number | undefined;
      for (const p of port === undefined ? this.preferredPorts() : []) {
        if (!(await portInUse(p, host))) {
          chosen = p;
          break;
        }
      }
      port = chosen ?? (await freePort(host));
    } else if (await portInUse(port, host)) {
      throw new ServiceError(`Port ${port} on ${host} is taken by a program that is not a ${this.name} server, so web4 cannot start ${this.name} there.`, {
        hint: `stop that program (\`ss -ltnp | grep :${port}\` names it), or set services.${this.name}.port to another port (0 picks a free one)`,
      });
    }
    mkdirSync(this.options.dataDir, { recursive: true });
    const binary = this.options.binary ? await this.options.binary() : undefined;
    const command = SERVICE_DEFINITIONS[this.name].command(host, port, this.options.dataDir, binary);
    const url = `http://${host}:${port}`;
    const record: ServiceRecord = await startService({
      name: this.name,
      program: command.program,
      args: command.args,
      env: command.env,
      host,
      port,
      url,
      healthUrl: this.healthUrl(url),
      logFile: this.logFile,
      recordFile: this.recordFile,
      dataDir: this.options.dataDir,
      timeoutS: this.options.startTimeoutS,
    });
    const endpoint: ServiceEndpoint = { host, port, url, startedAt: record.startedAt };
    writeFileAtomic(this.endpointFile, JSON.stringify(endpoint, null, 2) + '\n');
    return {
      name: this.name, source: 'ours', state: 'running', url: record.url, pid: record.pid, logFile: record.logFile, dataDir: record.dataDir, started: true,
      ...(current.staleRecordCleared ? { staleRecordCleared: true } : {}),
      ...(current.foreignUrl ? { foreignUrl: current.foreignUrl } : {}),
    };
  }

  /** Stop the server we started; servers we found (configured or external) are left alone. */
  async down(): Promise<{ name: ServiceName; result: 'stopped' | 'killed' | 'not-running' | 'not-ours'; url?: string }> {
    const record = readServiceRecord(this.recordFile);
    if (!record) {
      const current = await this.status();
      return { name: this.name, result: current.state === 'running' ? 'not-ours' : 'not-running', ...(current.url ? { url: current.url } : {}) };
    }
    const result = await stopProcess(record);
    clearServiceRecord(this.recordFile);
    return { name: this.name, result, url: record.url };
  }
}
