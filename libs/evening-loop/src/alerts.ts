import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactText } from '@web4/core';

export interface NightAlert {
  level: 'warn' | 'error';
  /** One line, e.g. "Evening Loop Alert: candidate v20261125_220000 rejected". */
  title: string;
  message: string;
  runId: string;
  at: string;
  details?: Record<string, unknown>;
}

/**
 * Where the nightly loop reports what went wrong. The loop calls `send` and goes on whatever
 * happens to the alert; a channel that fails must not fail the night.
 */
export interface AlertSink {
  send(alert: NightAlert): Promise<void>;
}

/** The log channel: one JSON line per alert in `logs/alerts.log` (read by people and by `web4 evening status`). */
export function logFileAlerts(logsDir: string): AlertSink {
  return {
    async send(alert) {
      mkdirSync(logsDir, { recursive: true });
      appendFileSync(join(logsDir, 'alerts.log'), redactText(JSON.stringify(alert)) + '\n');
    },
  };
}
