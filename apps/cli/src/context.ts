import {
  EXIT_CODES,
  FixedClock,
  type Clock,
  type Logger,
  type StatePaths,
  type Web4Config,
  createLogger,
  isWeb4Error,
  loadConfig,
  resolvePaths,
  systemClock,
} from '@web4/core';
import { join } from 'node:path';

/** Options every command accepts (declared once in main.ts). */
export interface GlobalArgs {
  root?: string;
  config?: string;
  json?: boolean;
  verbose?: boolean;
}

/** What a command needs from the outside world, built once per invocation. */
export interface CommandContext {
  config: Web4Config;
  configFile: string | undefined;
  paths: StatePaths;
  clock: Clock;
  logger: Logger;
  json: boolean;
  /** Print a line for people (suppressed with --json). */
  say(line?: string): void;
  /** Print the machine-readable result (only with --json). */
  emit(value: unknown): void;
}

export function createContext(args: GlobalArgs, logFile?: string): CommandContext {
  const { config, file } = loadConfig({
    ...(args.root !== undefined ? { root: args.root } : {}),
    ...(args.config !== undefined ? { configFile: args.config } : {}),
  });
  const paths = resolvePaths(config);
  // WEB4_NOW lets scripts and tests run a command "as of" another instant.
  const clock = process.env.WEB4_NOW ? new FixedClock(process.env.WEB4_NOW) : systemClock;
  const json = Boolean(args.json);
  // stderr carries problems (warn and above) unless -v asks for everything: the routine lines
  // (e.g. one per validation case) go to the command's log file only, never between the lines of
  // the report. Readable on a terminal, JSON lines for scripts and with --json (README, "The `web4` command").
  const logger = createLogger({
    level: args.verbose ? 'debug' : config.logging.level,
    consoleLevel: args.verbose ? 'debug' : quieter(config.logging.level, 'warn'),
    consoleFormat: json ? 'json' : 'auto',
    ...(logFile ? { file: join(paths.logsDir, logFile) } : {}),
    console: !json || Boolean(args.verbose),
  });
  return {
    config,
    configFile: file,
    paths,
    clock,
    logger,
    json,
    say: (line = '') => {
      if (!json) process.stdout.write(line + '\n');
    },
    emit: (value) => {
      if (json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
    },
  };
}

const LEVEL_ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
/** The less talkative of two pino levels. */
function quieter(a: string, b: string): string {
  return LEVEL_ORDER.indexOf(a) > LEVEL_ORDER.indexOf(b) ? a : b;
}

/**
 * Run a command body and turn its outcome into an exit code. Typed errors print their message
 * and hint (or a JSON error object with --json) and exit with their own code.
 */
export async function runCommand(args: GlobalArgs, body: () => Promise<number | void>): Promise<never> {
  let code: number;
  try {
    code = (await body()) ?? EXIT_CODES.ok;
  } catch (error) {
    code = reportError(error, Boolean(args.json));
  }
  process.exitCode = code;
  // Let pino transports and open handles finish, but do not hang on a stray timer.
  setTimeout(() => process.exit(code), 2_000).unref();
  return undefined as never;
}

export function reportError(error: unknown, json: boolean): number {
  if (isWeb4Error(error)) {
    if (json) process.stdout.write(JSON.stringify(error.toJSON(), null, 2) + '\n');
    process.stderr.write(`error: ${error.toUserString()}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json) process.stdout.write(JSON.stringify({ error: 'internal', message: String((error as Error)?.message ?? error) }) + '\n');
  process.stderr.write(`error: ${message}\n`);
  return EXIT_CODES.checkFailed;
}

/**
 * `--model` takes an Ollama name, or one of the serving tags by its role: `latest` (or
 * `production`), `previous`, `candidate`, `base` — the names configured in models.*.
 */
export function modelName(config: Web4Config, requested: string | undefined): string | undefined {
  if (requested === undefined) return undefined;
  const m = config.models;
  const roles: Record<string, string> = { latest: m.productionModel, production: m.productionModel, previous: m.previousModel, candidate: m.candidateModel, base: m.baseModel };
  return roles[requested] ?? requested;
}
