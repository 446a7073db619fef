import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type Web4Config } from './schema.js';

export const CONFIG_FILE_NAME = 'web4.config.json';
const ENV_PREFIX = 'WEB4_';
/** Variables that are not settings (they choose the file or the root). */
const NOT_SETTINGS = new Set(['WEB4_CONFIG']);

export interface LoadConfigOptions {
  /** State root; beats the file and `WEB4_STATE_ROOT`. Default: the working directory. */
  root?: string;
  /** Config file; default `<root>/web4.config.json` (optional), or `WEB4_CONFIG`. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Values set last, e.g. from command-line flags. */
  overrides?: Record<string, unknown>;
  cwd?: string;
}

export interface LoadedConfig {
  config: Web4Config;
  /** The file read, or undefined when none exists. */
  file: string | undefined;
  /** The environment variables that changed a setting. */
  envApplied: string[];
}

/**
 * The one config loader: defaults < `web4.config.json` < `WEB4_*` environment < overrides.
 *
 * Environment names are the setting's path in UPPER_SNAKE with `__` between levels:
 * `stateRoot` ← `WEB4_STATE_ROOT`, `services.ollama.url` ← `WEB4_SERVICES__OLLAMA__URL`.
 * Values are read as JSON when they parse (numbers, booleans, objects), else as strings.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const rootHint = options.root ?? env.WEB4_STATE_ROOT ?? '.';
  const rootForFile = resolve(cwd, expandHome(rootHint));
  const explicitFile = options.configFile ?? env.WEB4_CONFIG;
  const file = explicitFile ? resolve(cwd, expandHome(explicitFile)) : resolve(rootForFile, CONFIG_FILE_NAME);

  let raw: Record<string, unknown> = {};
  if (existsSync(file)) {
    raw = readJsonObject(file);
  } else if (explicitFile) {
    throw new ConfigError(`Config file ${file} does not exist.`, {
      hint: 'Create it, or drop --config / WEB4_CONFIG to use the defaults.',
    });
  }

  const fromFile = structuredClone(raw);
  const envApplied: string[] = [];
  // Who set which setting after the file, in the order applied: an invalid value is then blamed
  // on the variable or option that set it, not on the file (whose value it replaced).
  const setBy: SettingSource[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || NOT_SETTINGS.has(name) || value === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    if (!isKnownPath(path)) continue; // WEB4_* variables for other tools (e.g. WEB4_TEST_*) are not settings
    setPath(raw, path, parseEnvValue(value));
    envApplied.push(name);
    setBy.push({ path, variable: name, from: `from the environment variable ${name}`, fix: `fix or unset the environment variable ${name}` });
  }
  if (options.root !== undefined) {
    raw.stateRoot = options.root;
    setBy.push({ path: ['stateRoot'], from: 'from --root', fix: 'fix --root' });
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    setPath(raw, key.split('.'), value);
    setBy.push({ path: key.split('.'), from: 'from the command line', fix: `fix the value the command line gives ${key}` });
  }

  // Absolute before parsing: settings derived from the root (the Chroma database) must not depend on the cwd of a later reader.
  if (raw.stateRoot === undefined || typeof raw.stateRoot === 'string') raw.stateRoot = resolve(cwd, expandHome((raw.stateRoot as string | undefined) ?? '.'));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw invalidConfig(parsed.error.issues, setBy, existsSync(file) ? file : undefined, fromFile);
  const config = parsed.data;
  config.stateRoot = resolve(cwd, expandHome(config.stateRoot));
  return { config, file: existsSync(file) ? file : undefined, envApplied };
}

/** A setting given after the file: by a `WEB4_*` variable, or by an option of the program (`--root`, overrides). */
interface SettingSource {
  path: string[];
  /** The `WEB4_*` variable, when it is one. */
  variable?: string;
  /** "from the environment variable WEB4_STORAGE__URL" */
  from: string;
  /** "fix or unset the environment variable WEB4_STORAGE__URL" */
  fix: string;
}

/**
 * The ConfigError for settings that fail validation, each named with where its value came from:
 * the environment variable (or option) that set it or one of its parents, else the file when the
 * file holds it. The hint says what to change where, so a bad `WEB4_STORAGE__URL` is not looked
 * for in web4.config.json. A setting neither set (a default, or one a check of several settings
 * names) is left unattributed; the hint then names the file and the variables that are set.
 */
function invalidConfig(issues: z.ZodError['issues'], setBy: readonly SettingSource[], file: string | undefined, fromFile: Record<string, unknown>): ConfigError {
  const problems = issues.map((issue) => {
    const path = issue.path.map(String);
    const setting = path.join('.') || '(root)';
    // The last one applied whose path holds this setting decides its value.
    const source = [...setBy].reverse().find((s) => s.path.length <= path.length && s.path.every((part, i) => part === path[i]));
    const inFile = !source && file !== undefined && path.length > 0 && hasPath(fromFile, path);
    const from = source ? ` (${source.from})` : inFile ? ` (in ${file})` : '';
    return { setting, source, inFile, text: `${setting}: ${issue.message}${from}` };
  });
  const inFile = problems.filter((p) => p.inFile).map((p) => p.setting);
  const elsewhere = problems.filter((p) => !p.source && !p.inFile).map((p) => p.setting);
  const envSet = unique(setBy.flatMap((s) => (s.variable ? [s.variable] : [])));
  const fixes = [
    ...unique(problems.flatMap((p) => (p.source ? [p.source.fix] : []))),
    ...(inFile.length > 0 ? [`fix ${inFile.join(', ')} in ${file}`] : []),
    ...(elsewhere.length > 0
      ? [`set ${elsewhere.join(', ')} in ${file ?? CONFIG_FILE_NAME}${envSet.length > 0 ? ` or through the environment (set now: ${envSet.join(', ')})` : ''}`]
      : []),
  ].join('; ');
  return new ConfigError(`Invalid configuration: ${problems.map((p) => p.text).join('; ')}`, {
    hint: `${fixes.charAt(0).toUpperCase()}${fixes.slice(1)}; \`web4 doctor\` shows the config in use.`,
    details: {
      ...(file ? { file } : {}),
      settings: problems.map((p) => ({
        setting: p.setting,
        ...(p.source ? { from: p.source.variable ?? p.source.from.replace(/^from /, '') } : p.inFile ? { from: file } : {}),
      })),
    },
  });
}

const unique = (names: string[]): string[] => [...new Set(names)];

function hasPath(object: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = object;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** The `WEB4_*` variable that sets a setting: `paths.metricsDb` → `WEB4_PATHS__METRICS_DB` (loadConfig's mapping, reversed). */
export function envVariableOf(setting: string): string {
  return ENV_PREFIX + setting.split('.').map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__');
}

/**
 * A setting named for a message about its value: "the environment variable WEB4_PATHS__METRICS_DB
 * (paths.metricsDb)" when that variable is set (it overrides the file), else "paths.metricsDb in
 * web4.config.json".
 */
export function describeSetting(setting: string, env: NodeJS.ProcessEnv = process.env): string {
  const variable = envVariableOf(setting);
  return env[variable] !== undefined ? `the environment variable ${variable} (${setting})` : `${setting} in ${CONFIG_FILE_NAME}`;
}

/** Resolve a configured path: `~` is the home directory, relative paths hang off the state root. */
export function resolveStatePath(config: Pick<Web4Config, 'stateRoot'>, path: string): string {
  const expanded = expandHome(path);
  return isAbsolute(expanded) ? expanded : resolve(config.stateRoot, expanded);
}

export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return path;
}

function readJsonObject(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`Config file ${file} is not valid JSON: ${(cause as Error).message}`, {
      hint: 'Fix the JSON syntax (a linter or `node -e "JSON.parse(require(\'fs\').readFileSync(0))" < FILE` shows where).',
      cause,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`Config file ${file} must hold a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function isKnownPath(path: string[]): boolean {
  let schema: z.ZodType = configSchema;
  for (const key of path) {
    schema = unwrap(schema);
    if (!(schema instanceof z.ZodObject)) return false;
    const next = (schema.shape as Record<string, z.ZodType>)[key];
    if (!next) return false;
    schema = next;
  }
  return true;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
      s = (s as unknown as { unwrap(): z.ZodType }).unwrap();
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType; // a transformed object (trainer presets): its input shape names the settings
    } else return s;
  }
}
