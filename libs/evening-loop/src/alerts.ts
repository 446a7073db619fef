import { type Alert, createAlerter, logChannel } from '@web4/alerting';

/** An alert of the nightly loop: always carries its night and its time. */
export interface NightAlert extends Alert {
  runId: string;
  at: string;
}

/**
 * Where the nightly loop reports what went wrong: an `Alerter` of @web4/alerting (built from the
 * `alerts` config by the command that runs the night). The loop calls `send` and goes on whatever
 * happens to the alert; a channel that fails must not fail the night.
 */
export interface AlertSink {
  send(alert: NightAlert): Promise<unknown>;
}

/** The log channel alone: one JSON line per alert in `logs/alerts.log` (replays and tests). */
export function logFileAlerts(logsDir: string): AlertSink {
  return createAlerter({ channels: [logChannel(logsDir)], logsDir, timeoutMs: 10_000, attempts: 2, retryDelayMs: 100, deadlineMs: 10_000 });
}
