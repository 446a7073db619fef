import { ConfigError, loadConfig } from '@web4/core';
import { describe, expect, it } from 'vitest';
import { tagModelNames, versionModelName } from './version-names.js';

describe('model names from the deployment name', () => {
  it('default: web4-agent, the plan\'s', () => {
    const { config } = loadConfig({ env: {} });
    expect(tagModelNames(config)).toEqual({ latest: 'web4-agent:latest', previous: 'web4-agent:previous', candidate: 'web4-agent:candidate' });
    expect(versionModelName(config, 'v20261125_220000')).toBe('web4-agent:v20261125-220000');
  });

  it('a configured deployment name names every tag and version', () => {
    const { config } = loadConfig({ env: { WEB4_DEPLOYMENT__NAME: 'team-b/web4-agent' } });
    expect(tagModelNames(config)).toEqual({ latest: 'team-b/web4-agent:latest', previous: 'team-b/web4-agent:previous', candidate: 'team-b/web4-agent:candidate' });
    expect(versionModelName(config, 'v20261125_220000')).toBe('team-b/web4-agent:v20261125-220000');
  });

  it('names set one by one still win (the replay uses its own)', () => {
    const { config } = loadConfig({ env: {}, overrides: { 'deployment.name': 'x', 'models.productionModel': 'web4-replay-1:latest' } });
    expect(tagModelNames(config).latest).toBe('web4-replay-1:latest');
    expect(tagModelNames(config).candidate).toBe('x:candidate');
  });

  it.each(['Web4-Agent', 'web4-agent:latest', 'web4 agent', '-agent', ''])('refuses "%s" as a deployment name, saying what a valid one is', (name) => {
    const error = (() => {
      try {
        loadConfig({ env: {}, overrides: { 'deployment.name': name } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('deployment.name must be an Ollama model name without a tag');
  });
});
