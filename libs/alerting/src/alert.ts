/** How bad it is: `warn` (e.g. a candidate rejected, production unchanged) or `error` (something broke). */
export type AlertLevel = 'warn' | 'error';

export const ALERT_LEVELS: readonly AlertLevel[] = ['warn', 'error'];

/** One alert, as every channel receives it. */
export interface Alert {
  level: AlertLevel;
  /** One line, e.g. "⚠️ Evening Loop Alert: candidate v20261125_220000 rejected". */
  title: string;
  message: string;
  details?: Record<string, unknown>;
  /** When it was raised (ISO); the alerter stamps it when missing. */
  at?: string;
  /** The run that raised it (a night, a morning check), when there is one. */
  runId?: string;
}

/** What happened to one alert on one channel. */
export interface ChannelResult {
  channel: string;
  delivered: boolean;
  attempts: number;
  ms: number;
  /** Why it was not delivered (secrets redacted). */
  error?: string;
}

/** What `Alerter.send` did: this alert on each channel, and the earlier undelivered alerts sent again. */
export interface DeliveryReport {
  /** Every channel took this alert. */
  delivered: boolean;
  channels: ChannelResult[];
  /** Alerts left undelivered by earlier sends, tried again now. */
  resent: { alerts: number; delivered: number; results: Array<ChannelResult & { title: string; at: string }> };
  /** Alerts waiting in `undeliveredFile` after this send (0: nothing is pending). */
  pending: number;
  undeliveredFile: string;
}

/** The one way anything (the nightly loop, the morning check, `web4 alert send`) tells the team. */
export interface Alerter {
  /** Never throws for a channel that fails: the report says what was delivered; the rest is kept for the next send. */
  send(alert: Alert): Promise<DeliveryReport>;
  /** Channel names, in order. */
  readonly channels: readonly string[];
}

/**
 * A channel that failed in a way that retrying cannot fix (HTTP 404 from a webhook, a rejected
 * login, a host that does not resolve): not retried within a send.
 */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}

/** One place an alert goes. `deliver` must stop when `signal` aborts (a timeout or the deadline). */
export interface AlertChannel {
  readonly name: string;
  deliver(alert: Required<Pick<Alert, 'at'>> & Alert, signal: AbortSignal): Promise<void>;
}
