import { FixedClock, type StatePaths, type Web4Config } from '@web4/core';
import { nightHistory } from '@web4/evening-loop';
import { FeedbackStore, MetricsReader, MetricsStore, buildMonitoringReport, buildQueryTypesReport } from '@web4/metrics-store';
import { morningHistory } from '@web4/canary-suite';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../server.js';
import { tempRoot } from '../test-support/temp-root.js';
import type { RunningGateway } from '../types.js';
import { DASHBOARD_PUBLIC_PATHS, dashboardRoutes } from './dashboard-routes.js';
import { PLAYED_NOW, QUERY_DAYS, playDays } from './played-days.js';

/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, installed by the setup),
 * served by the real gateway (startGateway) from a state root where days were played through
 * the product's writers: the page loads without console errors, every chart has data, and the
 * figures it draws are the library's.
 */
const CHROMIUM = '/usr/bin/chromium';
const RESULTS = join(fileURLToPath(new URL('../../../../', import.meta.url)), 'test-results', 'dashboard');
/** Ollama is never asked by the dashboard: a closed port. */
const NO_OLLAMA = 'http://127.0.0.1:9';

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`node tools/bootstrap.mjs\` (its chromium step) or \`sudo apt-get install -y chromium\`.`);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
afterAll(async () => {
  await browser?.close();
});

async function serve(config: Web4Config, paths: StatePaths, token?: string): Promise<RunningGateway> {
  return startGateway({
    config,
    paths,
    ollamaUrl: NO_OLLAMA,
    port: 0,
    routes: dashboardRoutes({ config, paths, clock: new FixedClock(PLAYED_NOW) }),
    publicRoutes: DASHBOARD_PUBLIC_PATHS,
    ...(token ? { token } : {}),
  });
}

/** A page that records every console error, page error and failed response. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return { page, problems };
}

const num = (v: string | null) => (v === null ? null : Number(v));

describe('the dashboard after days were played', () => {
  const t = tempRoot();
  let gateway: RunningGateway;
  beforeAll(async () => {
    playDays(t.paths);
    gateway = await serve(t.config, t.paths);
  });
  afterAll(async () => {
    await gateway?.close();
    t.remove();
  });

  it('loads without console errors, every chart has data, and its figures are the library’s', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${gateway.url}/?days=7`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });

    const targets = t.config.monitoring.targets;
    const store = MetricsStore.open(t.paths.metricsDb);
    const feedback = FeedbackStore.open(t.paths.feedbackDb);
    try {
      const report = await buildMonitoringReport({ store, targets, latencyStatistic: t.config.monitoring.latencyStatistic, now: PLAYED_NOW, days: 7 });
      for (const chart of ['latency', 'tiers', 'categories', 'satisfaction', 'nights', 'mornings']) {
        expect(await page.getAttribute(`#chart-${chart}`, 'data-state'), chart).toBe('data');
        expect(await page.locator(`#chart-${chart} svg [data-value]`).count(), chart).toBeGreaterThan(0);
      }
      expect(await page.isVisible('#nothing')).toBe(false);

      // Targets block: the report's checks, as `monitor report` shows them.
      for (const c of report.checks) {
        const item = page.locator(`#checks li[data-check="${c.id}"]`);
        expect(await item.getAttribute('data-status')).toBe(c.status);
        expect(await item.locator('.shown').textContent()).toBe(c.shown);
      }

      // Latency: one point per day with queries (none on the day without), the report's value.
      const points = page.locator('#chart-latency circle[data-value]');
      expect(await points.count()).toBe(QUERY_DAYS.length);
      for (const d of report.statistics.days.filter((x) => x.queries > 0)) {
        expect(num(await page.getAttribute(`#chart-latency circle[data-day="${d.day}"]`, 'data-value'))).toBe(d.avgLatencyMs);
      }
      expect(num(await page.getAttribute('#chart-latency line.target', 'data-target'))).toBe(targets.latencyMs);

      // Tier hit rates against their bands.
      for (const tier of ['history', 'tools', 'trainai', 'graph'] as const) {
        expect(num(await page.getAttribute(`#chart-tiers rect[data-tier="${tier}"]`, 'data-value'))).toBe(report.statistics.total.hitRatePct[tier]);
      }
      expect(num(await page.getAttribute('#chart-tiers rect.band >> nth=0', 'data-min'))).toBe(targets.historyPct.min);

      // Categories per day, as `monitor query-types --date D`, with the Training-First band.
      for (const d of report.statistics.days.filter((x) => x.queries > 0)) {
        const q = buildQueryTypesReport(store, d.day, targets);
        for (const c of q.categories.filter((x) => x.count > 0)) {
          const seg = page.locator(`#chart-categories rect[data-day="${d.day}"][data-category="${c.category}"]`);
          expect(num(await seg.getAttribute('data-value'))).toBe(c.pct);
          expect(num(await seg.getAttribute('data-count'))).toBe(c.count);
        }
        expect(await page.getAttribute(`#chart-categories text[data-day="${d.day}"]`, 'data-verdict')).toBe(q.trainingFirst.verdict);
      }
      expect(await page.locator('#chart-categories rect.band').count()).toBe(2);

      // Satisfaction per day, as `feedback rate` reads it.
      const bars = page.locator('#chart-satisfaction rect[data-day]');
      expect(await bars.count()).toBe(QUERY_DAYS.length);
      for (const d of report.statistics.days) {
        const start = new Date(`${d.day}T00:00:00.000Z`);
        const s = feedback.satisfaction(start, new Date(start.getTime() + 86_400_000));
        if (s.ratePct === null) expect(await page.locator(`#chart-satisfaction rect[data-day="${d.day}"]`).count()).toBe(0);
        else expect(num(await page.getAttribute(`#chart-satisfaction rect[data-day="${d.day}"]`, 'data-value'))).toBe(s.ratePct);
      }

      // Nights, as `evening history`: losses drawn, statuses and gates listed.
      const reader = MetricsReader.sqlite(t.paths.metricsDb);
      const nights = await nightHistory(reader, 10);
      expect(nights).toHaveLength(4);
      for (const n of nights) {
        expect(num(await page.getAttribute(`#chart-nights rect[data-run="${n.runId}"][data-series="production"]`, 'data-value'))).toBe(n.night!.production);
        expect(num(await page.getAttribute(`#chart-nights rect[data-run="${n.runId}"][data-series="candidate"]`, 'data-value'))).toBe(n.night!.candidate);
        expect(await page.getAttribute(`#chart-nights text[data-run="${n.runId}"]`, 'data-status')).toBe(n.status);
        for (const g of n.gates!) {
          expect(await page.getAttribute(`#chart-nights tr[data-run="${n.runId}"] [data-gate="${g.gate}"]`, 'data-pass')).toBe(String(g.pass));
        }
      }

      // Mornings, as `validate --history --days 7`.
      const mornings = await morningHistory(reader, { days: 7, now: PLAYED_NOW });
      await reader.close();
      expect(await page.locator('#chart-mornings circle[data-value]').count()).toBe(mornings.length);
      for (const m of mornings) {
        const point = page.locator(`#chart-mornings circle[data-day="${m.day}"]`);
        expect(num(await point.getAttribute('data-value'))).toBe(m.passRatePct);
        expect(await point.getAttribute('data-change')).toBe(m.changePct === null ? '' : String(m.changePct));
      }
    } finally {
      store.close();
      feedback.close();
    }

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a bad window is a clear message on the page and a 400 from the API', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${gateway.url}/?days=0`);
    await page.waitForSelector('body[data-loaded="error"]', { timeout: 15_000 });
    expect(await page.textContent('#error')).toContain('days must be a whole number of days from 1 to 3650');
    // Only the 400 itself (Chromium logs every failed fetch as a console error too).
    expect(problems).toEqual([`HTTP 400 ${gateway.url}/api/dashboard?days=0`, 'console error: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.close();
  });
});

describe('the dashboard of a state root with nothing recorded', () => {
  const t = tempRoot();
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await serve(t.config, t.paths);
  });
  afterAll(async () => {
    await gateway?.close();
    t.remove();
  });

  it('loads, says "no data yet" in every chart, draws no figure and logs no console error', async () => {
    const { page, problems } = await openPage();
    await page.goto(gateway.url);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    for (const chart of ['latency', 'tiers', 'categories', 'satisfaction', 'nights', 'mornings']) {
      expect(await page.getAttribute(`#chart-${chart}`, 'data-state'), chart).toBe('empty');
      expect(await page.textContent(`#chart-${chart} .empty`), chart).toBe('no data yet');
    }
    expect(await page.locator('[data-value]').count()).toBe(0);
    expect(await page.isVisible('#nothing')).toBe(true);
    expect(await page.locator('#checks li[data-status="unknown"]').count()).toBe(await page.locator('#checks li').count());
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard-empty.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('the dashboard of a gateway that requires its bearer token', () => {
  const t = tempRoot();
  const token = 'dashboard-test-token-0123456789';
  let gateway: RunningGateway;
  beforeAll(async () => {
    playDays(t.paths);
    gateway = await serve(t.config, t.paths, token);
  });
  afterAll(async () => {
    await gateway?.close();
    t.remove();
  });

  it('serves the page without the token but not the figures; the token typed once loads them', async () => {
    const { page, problems } = await openPage();
    await page.goto(gateway.url);
    await page.waitForSelector('#token-form:not([hidden])', { timeout: 15_000 });
    expect(await page.textContent('#token-message')).toContain('requires its bearer token');
    expect(await page.locator('[data-value]').count()).toBe(0);
    expect(problems).toEqual([`HTTP 401 ${gateway.url}/api/dashboard`, 'console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);

    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-form button[type="submit"]');
    await page.locator('#token-message', { hasText: 'refused that token' }).waitFor({ timeout: 15_000 });

    await page.fill('#token-input', token);
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    expect(await page.isHidden('#token-form')).toBe(true);
    expect(await page.getAttribute('#chart-latency', 'data-state')).toBe('data');
    // Reloading the tab keeps the token (sessionStorage): no second prompt.
    problems.length = 0;
    await page.reload();
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('takes the token from #token=… once and removes it from the address', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${gateway.url}/?days=7#token=${token}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    expect(page.url()).toBe(`${gateway.url}/?days=7`);
    expect(await page.locator('#chart-nights svg [data-value]').count()).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('answers /api/dashboard with 401 without the token and with the figures with it', async () => {
    const without = await fetch(`${gateway.url}/api/dashboard`);
    expect(without.status).toBe(401);
    const withToken = await fetch(`${gateway.url}/api/dashboard?days=7`, { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.status).toBe(200);
    const body = (await withToken.json()) as { monitoring: { statistics: { total: { queries: number } } } };
    expect(body.monitoring.statistics.total.queries).toBeGreaterThan(0);
    expect((await fetch(`${gateway.url}/assets/dashboard.js`)).status).toBe(200);
    // Public means GET of the page shell only: anything else on those paths still needs the token.
    expect((await fetch(`${gateway.url}/`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});
