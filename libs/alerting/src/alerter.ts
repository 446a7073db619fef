import { setMaxListeners } from 'node:events';
import { type Clock, type Logger, redactText, retry, silentLogger, systemClock } from '@web4/core';
import { type Alert, type AlertChannel, type Alerter, type ChannelResult, type DeliveryReport, PermanentDeliveryError } from './alert.js';
import { MAX_PENDING, type PendingAlert, UndeliveredQueue } from './undelivered.js';

export interface AlerterOptions {
  channels: AlertChannel[];
  /** Where `alerts_undelivered.jsonl` lives. */
  logsDir: string;
  /** One attempt of one channel gives up after this long. */
  timeoutMs: number;
  /** Attempts per channel and send, the first included. */
  attempts: number;
  /** First back-off; doubles per attempt. */
  retryDelayMs: number;
  /** The longest `send` takes, all channels and resends together. */
  deadlineMs: number;
  clock?: Clock;
  logger?: Logger;
}

type Stamped = Alert & { at: string };

/**
 * Sends each alert to every channel at once. A channel is retried with back-off (the one retry
 * helper of @web4/core); a channel that keeps failing holds up neither the others nor the caller
 * past `deadlineMs`. What a channel did not take is kept in `logs/alerts_undelivered.jsonl` and
 * sent again, to that channel only, with the next alert.
 */
export function createAlerter(o: AlerterOptions): Alerter {
  const clock = o.clock ?? systemClock;
  const log = o.logger ?? silentLogger();
  const queue = new UndeliveredQueue(o.logsDir);
  const byName = new Map(o.channels.map((c) => [c.name, c]));

  async function deliver(channel: AlertChannel, alert: Stamped, deadline: AbortSignal): Promise<ChannelResult> {
    const started = Date.now();
    let attempts = 0;
    let lastError: string | undefined;
    const work = retry(
      async (attempt) => {
        attempts = attempt;
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
        const stop = () => controller.abort(deadline.reason);
        deadline.addEventListener('abort', stop, { once: true });
        try {
          await channel.deliver(alert, controller.signal);
        } catch (error) {
          lastError = (error as Error)?.message ?? String(error);
          throw error;
        } finally {
          clearTimeout(timer);
          deadline.removeEventListener('abort', stop);
        }
      },
      {
        attempts: o.attempts,
        initialDelayMs: o.retryDelayMs,
        maxDelayMs: Math.max(o.retryDelayMs, 30_000),
        signal: deadline,
        shouldRetry: (error) => !(error instanceof PermanentDeliveryError),
        onRetry: (error, attempt, delayMs) =>
          log.warn({ channel: channel.name, attempt, delayMs }, redactText(`alert to ${channel.name} failed, retrying: ${(error as Error).message}`)),
      },
    );
    // The deadline ends the wait even for a channel that ignores its signal.
    const gaveUp = new Promise<never>((_, reject) => {
      const stop = () => reject(deadline.reason);
      if (deadline.aborted) stop();
      deadline.addEventListener('abort', stop, { once: true });
    });
    try {
      await Promise.race([work, gaveUp]);
      return { channel: channel.name, delivered: true, attempts, ms: Date.now() - started };
    } catch (error) {
      const why = (error as Error)?.message ?? String(error);
      const message = redactText(lastError && why !== lastError ? `${why}; last error: ${lastError}` : why);
      log.warn({ channel: channel.name, attempts }, `alert not delivered to ${channel.name}: ${message}`);
      return { channel: channel.name, delivered: false, attempts, ms: Date.now() - started, error: message };
    } finally {
      work.catch(() => {}); // settles after the deadline when the channel ignored its signal
    }
  }

  return {
    channels: o.channels.map((c) => c.name),
    async send(input) {
      const alert: Stamped = { ...input, at: input.at ?? clock.now().toISOString() };
      const controller = new AbortController();
      setMaxListeners(0, controller.signal); // every delivery (channels × waiting alerts) listens to the one deadline
      const deadlineTimer = setTimeout(() => controller.abort(new Error(`gave up at the alerting deadline (${o.deadlineMs} ms)`)), o.deadlineMs);
      const claim = queue.claim();
      let released = false;
      try {
        const now = Promise.all(o.channels.map((c) => deliver(c, alert, controller.signal)));
        const earlier = claim.pending.map(async (p) => {
          const known = p.channels.filter((name) => byName.has(name));
          const results = await Promise.all(known.map((name) => deliver(byName.get(name)!, p.alert, controller.signal)));
          return { p, results, dropped: p.channels.filter((name) => !byName.has(name)) };
        });
        const [channels, resends] = await Promise.all([now, Promise.all(earlier)]);

        const still: PendingAlert[] = [];
        const resent: DeliveryReport['resent'] = { alerts: claim.pending.length, delivered: 0, results: [] };
        for (const { p, results, dropped } of resends) {
          if (dropped.length) log.warn({ dropped }, `undelivered alert "${p.alert.title}": channel(s) ${dropped.join(', ')} no longer configured, dropped`);
          for (const r of results) resent.results.push({ ...r, title: p.alert.title, at: p.alert.at });
          const failed = results.filter((r) => !r.delivered);
          if (failed.length === 0) resent.delivered++;
          else still.push({ alert: p.alert, channels: failed.map((r) => r.channel), errors: Object.fromEntries(failed.map((r) => [r.channel, r.error ?? ''])), tries: p.tries + 1 });
        }
        const failedNow = channels.filter((r) => !r.delivered);
        if (failedNow.length) {
          still.push({ alert, channels: failedNow.map((r) => r.channel), errors: Object.fromEntries(failedNow.map((r) => [r.channel, r.error ?? ''])), tries: 1 });
        }
        const kept = still.slice(-MAX_PENDING);
        if (kept.length < still.length) log.warn(`${still.length - kept.length} undelivered alert(s) dropped: more than ${MAX_PENDING} were waiting`);
        released = true;
        claim.release(kept);
        return { delivered: failedNow.length === 0, channels, resent, pending: queue.count(), undeliveredFile: queue.file };
      } catch (error) {
        // Our own bookkeeping failed (e.g. an unwritable logs folder): give the claimed alerts back.
        if (!released) claim.release(claim.pending);
        throw error;
      } finally {
        clearTimeout(deadlineTimer);
      }
    },
  };
}
