import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redactText } from '@web4/core';
import type { AlertChannel } from '../alert.js';

export const ALERTS_LOG = 'alerts.log';

/** The log channel: one JSON line per alert in `logs/alerts.log` (read by people and by scripts). */
export function logChannel(logsDir: string): AlertChannel {
  return {
    name: 'log',
    async deliver(alert) {
      mkdirSync(logsDir, { recursive: true });
      appendFileSync(join(logsDir, ALERTS_LOG), redactText(JSON.stringify(alert)) + '\n');
    },
  };
}
