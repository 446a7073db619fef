import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from '@web4/core';
import { freePort, portInUse } from './free-port.js';
import { clearServiceRecord, isProcessRunning, readServiceRecord, type ServiceRecord } from './pid-file.js';
import { SERVICE_DEFINITIONS, type ServiceName } from './service-definitions.js';
import { isHealthy, startService, stopProcess } from './service-process.js';

export interface ServiceStatus {
  name: ServiceName;
  state: 'running' | 'stopped' | 'unhealthy';
  /**
   * `configured`: services.<name>.url; `ours`: started by web4 (pid file); `external`: a server
   * that already answered on the configured port; `none`: nothing found.
   */
  source: 'configured' | 'ours' | 'external' | 'none';
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
  /** 0 picks a free port at start. */
  port: number;
  /** Pid/record file and log live here. */
  servicesDir: string;
  /** Chroma's --path, or OLLAMA_MODELS. */
  dataDir: string;
  startTimeoutS: number;
  /** The program to run (Ollama: the binary resolved by ensureOllamaBinary); resolved lazily. */
  binary?: () => Promise<string>;
}

/**
 * One service's lifecycle: find it (configured URL → our recorded process → a server on the
 * configured port), start it when nothing is found, stop what we started.
 */
export class LocalService {
  readonly recordFile: string;
  readonly logFile: string;

  constructor(readonly options: LocalServiceOptions) {
    this.recordFile = join(options.servicesDir, `${options.name}.json`);
    this.logFile = join(options.servicesDir, `${options.name}.log`);
  }

  get name(): ServiceName {
    return this.options.name;
  }

  private healthUrl(base: string): string {
    return base.replace(/\/+$/, '') + SERVICE_DEFINITIONS[this.name].healthPath;
  }

  /** Where a server we would look for on the configured port answers. */
  private configuredPortUrl(): string | undefined {
    return this.options.port > 0 ? `http://${this.options.host}:${this.options.port}` : undefined;
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
        const ok = await isHealthy(this.healthUrl(record.url));
        return {
          name, source: 'ours', url: record.url, pid: record.pid, logFile: record.logFile, dataDir: record.dataDir,
          state: ok ? 'running' : 'unhealthy',
          ...(ok ? {} : { detail: `process ${record.pid} is alive but ${this.healthUrl(record.url)} does not answer` }),
        };
      }
      clearServiceRecord(this.recordFile);
      staleRecordCleared = true;
    }
    const portUrl = this.configuredPortUrl();
    if (portUrl && (await isHealthy(this.healthUrl(portUrl)))) {
      return { name, source: 'external', url: portUrl, state: 'running', ...(staleRecordCleared ? { staleRecordCleared } : {}) };
    }
    return {
      name, source: 'none', state: 'stopped', logFile: this.logFile, dataDir: this.options.dataDir,
      ...(staleRecordCleared ? { staleRecordCleared, detail: `the recorded ${name} process had died; its pid file was removed` } : {}),
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
    if (port === 0) port = await freePort(host);
    else if (await portInUse(port, host)) {
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
    return {
      name: this.name, source: 'ours', state: 'running', url: record.url, pid: record.pid, logFile: record.logFile, dataDir: record.dataDir, started: true,
      ...(current.staleRecordCleared ? { staleRecordCleared: true } : {}),
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
