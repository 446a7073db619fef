import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { describeSetting, envVariableOf, loadConfig, resolveStatePath } from './load.js';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'web4-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the plan defaults with no file and no environment, rooted at the working directory', () => {
    const { config, file } = loadConfig({ env: {}, cwd: dir });
    expect(file).toBeUndefined();
    expect(config.stateRoot).toBe(dir);
    expect(config.paths.metricsDb).toBe('logs/production_metrics.db');
    expect(config.monitoring.windowDays).toBe(7);
    expect(config.monitoring.targets.latencyMs).toBe(2500);
    expect(config.monitoring.targets.pureTrainedAcceptedPct).toEqual({ min: 45, max: 65 });
  });

  it('layers file < environment < overrides, and maps WEB4_A__B_C to a.bC', () => {
    writeFileSync(join(dir, 'web4.config.json'), JSON.stringify({ monitoring: { windowDays: 14 }, services: { ollama: { port: 1 } } }));
    const { config, file, envApplied } = loadConfig({
      cwd: dir,
      env: { WEB4_MONITORING__WINDOW_DAYS: '30', WEB4_SERVICES__OLLAMA__URL: 'http://gpu-box:11434', WEB4_TEST_UNRELATED: 'x' },
      overrides: { 'logging.level': 'debug' },
    });
    expect(file).toBe(join(dir, 'web4.config.json'));
    expect(config.monitoring.windowDays).toBe(30);
    expect(config.services.ollama.url).toBe('http://gpu-box:11434');
    expect(config.services.ollama.port).toBe(1);
    expect(config.logging.level).toBe('debug');
    expect(envApplied.sort()).toEqual(['WEB4_MONITORING__WINDOW_DAYS', 'WEB4_SERVICES__OLLAMA__URL']);
  });

  it('takes the state root from --root over WEB4_STATE_ROOT, and reads the config file inside it', () => {
    const other = join(dir, 'state');
    const { config } = loadConfig({ cwd: dir, env: { WEB4_STATE_ROOT: '/nowhere' }, root: other });
    expect(config.stateRoot).toBe(other);
    expect(loadConfig({ cwd: dir, env: { WEB4_STATE_ROOT: 'rel' } }).config.stateRoot).toBe(join(dir, 'rel'));
  });

  it('resolves relative paths against the state root and ~ against the home directory', () => {
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(resolveStatePath(config, config.paths.feedbackDb)).toBe(join(dir, 'logs/user_feedback.db'));
    expect(resolveStatePath(config, config.paths.cacheDir)).toBe(join(homedir(), '.cache/web4'));
    expect(resolveStatePath(config, '/abs/x')).toBe('/abs/x');
  });

  it('rejects invalid JSON with the file name and a hint', () => {
    writeFileSync(join(dir, 'web4.config.json'), '{ "monitoring": ');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/web4\.config\.json is not valid JSON/);
  });

  it('rejects a setting of the wrong type and names it', () => {
    writeFileSync(join(dir, 'web4.config.json'), JSON.stringify({ monitoring: { windowDays: -3 } }));
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/monitoring\.windowDays/);
  });

  it('rejects an environment value of the wrong type and names it', () => {
    expect(() => loadConfig({ cwd: dir, env: { WEB4_MONITORING__WINDOW_DAYS: '"many"' } })).toThrow(/monitoring\.windowDays/);
  });

  /** The ConfigError loadConfig throws with these options. */
  function configError(options: Parameters<typeof loadConfig>[0]): ConfigError {
    try {
      loadConfig(options);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('loadConfig accepted the configuration');
  }

  it('names the environment variable, not web4.config.json, when a WEB4_* variable set the invalid value (the file exists)', () => {
    const file = join(dir, 'web4.config.json');
    writeFileSync(file, JSON.stringify({ monitoring: { windowDays: 14 } }));
    const error = configError({ cwd: dir, env: { WEB4_STORAGE__URL: 'mysql://web4:secret@db/records' } });
    expect(error.message).toMatch(/^Invalid configuration: storage\.url: the scheme "mysql:" is not supported: .* \(from the environment variable WEB4_STORAGE__URL\)$/);
    expect(error.message).not.toContain('web4.config.json');
    expect(error.hint).toMatch(/^Fix or unset the environment variable WEB4_STORAGE__URL; /);
    expect(error.hint).not.toContain('web4.config.json');
    expect(error.message + error.hint).not.toContain('secret');
    expect(error.details).toEqual({ file, settings: [{ setting: 'storage.url', from: 'WEB4_STORAGE__URL' }] });
  });

  it('names the variable for a setting inside an object a variable set, and the file for what the file set, each with its own fix', () => {
    const file = join(dir, 'web4.config.json');
    writeFileSync(file, JSON.stringify({ storage: { url: 'mysql://db/records' }, monitoring: { windowDays: 7 } }));
    const error = configError({ cwd: dir, env: { WEB4_MONITORING: '{"windowDays": -3}' } });
    expect(error.message).toContain('monitoring.windowDays: ');
    expect(error.message).toMatch(/monitoring\.windowDays: [^;]* \(from the environment variable WEB4_MONITORING\)/);
    expect(error.message).toMatch(new RegExp(`storage\\.url: the scheme "mysql:" is not supported: [^;]* \\(in ${file.replaceAll('/', '\\/').replaceAll('.', '\\.')}\\)`));
    expect(error.hint).toContain('Fix or unset the environment variable WEB4_MONITORING; fix storage.url in ' + file);
  });

  it('a variable that replaces the file\'s value takes the blame, and a value the file holds is still the file\'s', () => {
    const file = join(dir, 'web4.config.json');
    writeFileSync(file, JSON.stringify({ storage: { url: 'sqlite:' }, monitoring: { windowDays: 0 } }));
    const error = configError({ cwd: dir, env: { WEB4_STORAGE__URL: 'postgres://127.0.0.1' } });
    expect(error.message).toMatch(/storage\.url: a PostgreSQL URL names its database [^;]* \(from the environment variable WEB4_STORAGE__URL\)/);
    expect(error.message).toMatch(/monitoring\.windowDays: [^;]* \(in [^)]*web4\.config\.json\)/);
  });

  it('names the command line for a value an override set over a variable', () => {
    const error = configError({ cwd: dir, env: { WEB4_MONITORING__WINDOW_DAYS: '7' }, overrides: { 'monitoring.windowDays': -1 } });
    expect(error.message).toMatch(/monitoring\.windowDays: .* \(from the command line\)$/);
    expect(error.hint).toMatch(/^Fix the value the command line gives monitoring\.windowDays; /);
  });

  it('leaves a problem neither the file nor a variable holds unattributed, and its hint names the file and the variables set', () => {
    // The email channel switched on by a variable makes alerts.email.to required: no one value is at fault.
    const error = configError({ cwd: dir, env: { WEB4_ALERTS__CHANNELS: '["email"]' } });
    expect(error.message).toMatch(/alerts\.email\.to: the email channel is on: name at least one recipient[^;()]*$/);
    expect(error.hint).toMatch(/^Set alerts\.email\.to in web4\.config\.json or through the environment \(set now: WEB4_ALERTS__CHANNELS\); /);
  });

  it('names the variable of a setting as loadConfig reads it, and says where a setting in use was set', () => {
    for (const setting of ['paths.metricsDb', 'monitoring.busyTimeoutMs', 'storage.url', 'services.ollama.url', 'stateRoot']) {
      const variable = envVariableOf(setting);
      const { envApplied } = loadConfig({ cwd: dir, env: { [variable]: setting === 'monitoring.busyTimeoutMs' ? '100' : setting === 'storage.url' ? 'sqlite:' : setting === 'services.ollama.url' ? 'http://h:1' : 'x' } });
      expect(envApplied, setting).toEqual([variable]);
    }
    expect(envVariableOf('paths.metricsDb')).toBe('WEB4_PATHS__METRICS_DB');
    expect(describeSetting('paths.metricsDb', { WEB4_PATHS__METRICS_DB: '/x.db' })).toBe('the environment variable WEB4_PATHS__METRICS_DB (paths.metricsDb)');
    expect(describeSetting('paths.metricsDb', {})).toBe('paths.metricsDb in web4.config.json');
  });

  it('fails clearly when an explicit config file is missing', () => {
    expect(() => loadConfig({ cwd: dir, env: {}, configFile: 'missing.json' })).toThrow(/missing\.json does not exist/);
  });
});
