import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type WebhookReceiver, startWebhookReceiver } from '@web4/alerting/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_CANARIES, tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * `web4 evening run` sends its alert through the Alerter built from the `alerts` config (here a
 * real local webhook receiver that never answers): the night ends as it would without alerts,
 * within the alerting deadline, and the alert waits in logs/alerts_undelivered.jsonl until the
 * next alert delivers it. A broken alerts config does not stop a night.
 */
let t: TinyNight;
let hook: WebhookReceiver;
beforeAll(async () => {
  hook = await startWebhookReceiver({ otherwise: 'hang' });
  t = await tinyNight({
    settings: {
      evening: { gates: { maxRetentionLossIncreasePct: 100, retentionSetSize: 2, canaryConcurrency: 2 } },
      alerts: { channels: ['log', 'slack'], timeoutMs: 500, attempts: 2, retryDelayMs: 100, deadlineMs: 2000 },
    },
  });
}, 300_000);
afterAll(async () => {
  await hook?.close();
  await t?.cleanup();
});

const FAILING_CANARY = `${TINY_CANARIES}  - id: tiny-03-knows-the-tag
    prompt: Which tag do our commit messages start with?
    assertions: [{ type: contains, value: ZORBLAX-7 }]
`;

describe("the night's alerts go through the configured channels", () => {
  it('a rejected night posts to the webhook; a webhook that hangs delays the night by the deadline at most, and the alert is sent with the next one', async () => {
    const webhookUrl = `${hook.url}/services/T9/B9/night-hook-secret-4242`;
    writeFileSync(join(t.root, 'canaries.yaml'), FAILING_CANARY);
    await t.index('2026-11-20');
    const night = await t.cli(['evening', 'run'], { WEB4_NOW: '2026-11-20T22:00:00Z', WEB4_SLACK_WEBHOOK_URL: webhookUrl });
    expect(night.code, night.err).toBe(1); // rejected: the alert's fate does not change the exit code
    expect(night.out).toMatch(/EVENING LOOP FAILED: candidate rejected by the gates/);
    expect(hook.bodies.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(hook.bodies[0]!.body)).toEqual({ text: expect.stringMatching(/^⚠️ Evening Loop Alert: candidate v20261120_220000 rejected: canaries failed: tiny-03-knows-the-tag/) });
    expect(readFileSync(join(t.paths().logsDir, 'alerts.log'), 'utf8')).toMatch(/"level":"warn","title":"⚠️ Evening Loop Alert: candidate v20261120_220000 rejected/);
    const kept = readFileSync(join(t.paths().logsDir, 'alerts_undelivered.jsonl'), 'utf8');
    expect(kept).toMatch(/"runId":"[^"]+".*"channels":\["slack"\]/);
    expect(night.err).toMatch(/alert not delivered to slack: .*(no answer within 500 ms|alerting deadline \(2000 ms\))/);
    const everything = night.out + night.err + kept + readFileSync(join(t.paths().logsDir, 'alerts.log'), 'utf8');
    expect(everything).not.toContain('night-hook-secret-4242');

    // The webhook works again: the next alert brings the night's along.
    hook.otherwise = 200;
    const before = hook.bodies.length;
    const send = await t.cli(['alert', 'send', 'webhook fixed', '--json'], { WEB4_SLACK_WEBHOOK_URL: webhookUrl });
    expect(send.code, send.err).toBe(0);
    expect(JSON.parse(send.out)).toMatchObject({ delivered: true, pending: 0, resent: { alerts: 1, delivered: 1 } });
    expect(hook.bodies.slice(before).map((b) => (JSON.parse(b.body) as { text: string }).text)).toEqual(
      expect.arrayContaining([expect.stringMatching(/candidate v20261120_220000 rejected/), '⚠️ Evening Loop Alert: webhook fixed']),
    );
    expect(existsSync(join(t.paths().logsDir, 'alerts_undelivered.jsonl'))).toBe(false);
  }, 600_000);

  it('an alerts config that is wrong (a webhook that is not a URL) is reported and the night still runs', async () => {
    writeFileSync(join(t.root, 'canaries.yaml'), TINY_CANARIES);
    const night = await t.cli(['evening', 'run'], { WEB4_NOW: '2026-11-21T22:00:00Z', WEB4_SLACK_WEBHOOK_URL: 'not-a-url-secret-77' });
    expect(night.err).toMatch(/warning: alerts.slack: the webhook URL in \$WEB4_SLACK_WEBHOOK_URL is not a URL[\s\S]*tonight's alerts go to logs\/alerts.log only/);
    expect(night.out).toMatch(/EVENING LOOP:? (COMPLETE|FAILED|NOTHING TO DO)/);
    expect(night.out + night.err).not.toContain('not-a-url-secret-77');
  }, 600_000);
});
