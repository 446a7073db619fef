import { readFileSync, statSync } from 'node:fs';
import { ConfigError, registerSecret } from '@web4/core';

export interface SecretSource {
  /** The setting a person fixes, e.g. `alerts.slack`. */
  field: string;
  /** Environment variable holding it. */
  envName: string;
  /** File holding it; beats the variable when set. */
  file?: string;
  env: NodeJS.ProcessEnv;
}

export interface Secret {
  value: string;
  /** Where it came from, to name in messages: `$WEB4_SLACK_WEBHOOK_URL` or the file. */
  source: string;
}

/**
 * Read a secret from its file (readable by its owner alone) or its environment variable. The
 * value is registered with the logger's redaction, so it never appears in a log line or an error.
 * Returns undefined when neither is set.
 */
export function readSecret(s: SecretSource): Secret | undefined {
  if (s.file) {
    let mode: number;
    try {
      mode = statSync(s.file).mode;
    } catch (cause) {
      throw new ConfigError(`${s.field}: the secret file ${s.file} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`, {
        hint: `Create it with the secret on one line and \`chmod 600 ${s.file}\`, or unset the file setting to use $${s.envName}.`,
      });
    }
    if ((mode & 0o077) !== 0) {
      throw new ConfigError(
        `${s.field}: the secret file ${s.file} is open to group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); a secret must be readable by its owner alone.`,
        { hint: `Run \`chmod 600 ${s.file}\` and try again.` },
      );
    }
    const value = readFileSync(s.file, 'utf8').trim();
    registerSecret(value);
    if (!value) throw new ConfigError(`${s.field}: the secret file ${s.file} is empty.`);
    return { value, source: s.file };
  }
  const value = s.env[s.envName]?.trim();
  if (!value) return undefined;
  registerSecret(value);
  return { value, source: `$${s.envName}` };
}
