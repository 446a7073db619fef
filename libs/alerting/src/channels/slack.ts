import type { Alert, AlertChannel } from '../alert.js';
import { PermanentDeliveryError } from '../alert.js';

/** The original plan's text: `⚠️ Evening Loop Alert: …`, with the message when the title does not carry it. */
export function slackText(alert: Alert): string {
  const title = alert.title.startsWith('⚠️') ? alert.title : `⚠️ Evening Loop Alert: ${alert.title}`;
  return title.includes(alert.message) ? title : `${title}\n${alert.message}`;
}

/**
 * A Slack incoming webhook: POST `{"text": "⚠️ Evening Loop Alert: …"}`. The URL is a secret:
 * no error names it. 5xx, 429 and network errors are worth a retry; other 4xx are not.
 */
export function slackChannel(webhookUrl: string): AlertChannel {
  return {
    name: 'slack',
    async deliver(alert, signal) {
      let response: Response;
      try {
        response = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: slackText(alert) }),
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw new Error(`Slack webhook: ${abortReason(signal)}`);
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const code = cause?.code ?? cause?.message ?? (error as Error).message;
        if (code === 'ENOTFOUND') throw new PermanentDeliveryError('Slack webhook: its host does not resolve (ENOTFOUND); check the webhook URL');
        throw new Error(`Slack webhook: cannot connect (${code})`);
      }
      // Drain the body so the connection is released (Slack answers "ok" or an error word).
      const body = (await response.text().catch(() => '')).slice(0, 200);
      if (response.ok) return;
      const what = `Slack webhook: HTTP ${response.status}${body ? ` ${JSON.stringify(body)}` : ''}`;
      if (response.status >= 500 || response.status === 429) throw new Error(what);
      throw new PermanentDeliveryError(`${what} (the webhook URL is wrong or revoked: create a new one in Slack)`);
    },
  };
}

export function abortReason(signal: AbortSignal): string {
  const reason = signal.reason as { message?: string; name?: string } | undefined;
  return reason?.message ?? reason?.name ?? 'aborted';
}
