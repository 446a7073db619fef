import { type Clock, InputError, type StatePaths, type Web4Config, isWeb4Error, parseDays, systemClock } from '@web4/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from '../http-errors.js';
import type { RouteHandler } from '../types.js';
import { buildDashboardData } from './dashboard-data.js';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './dashboard-page.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

export interface DashboardRoutesOptions {
  config: Web4Config;
  paths: Pick<StatePaths, 'metricsDb' | 'feedbackDb'>;
  clock?: Clock;
}

/**
 * Paths that carry no figure (the page shell, its script and style), for
 * GatewayOptions.publicRoutes: a browser opening the page cannot send a bearer header, so a
 * gateway that requires its token serves these without it and still guards /api/dashboard,
 * which holds the figures. The page sends the token it was given once (typed into its form, or
 * as `#token=…` in the address: a fragment never reaches the server or its logs), kept in the
 * tab's sessionStorage.
 */
export const DASHBOARD_PUBLIC_PATHS: readonly string[] = ['/', '/assets/dashboard.js', '/assets/dashboard.css'];

/** Scripts only from this origin; the figures only from /api/dashboard; no frames. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function sendText(res: ServerResponse, body: string, type: string, extra: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(body);
}

/**
 * The dashboard's routes for GatewayOptions.routes: `GET /` (the page), its script and style
 * under /assets/, and `GET /api/dashboard?days=N` (the figures as JSON, `DashboardData`).
 */
export function dashboardRoutes(options: DashboardRoutesOptions): Record<string, RouteHandler> {
  const clock = options.clock ?? systemClock;
  const headers = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'referrer-policy': 'no-referrer' };
  return {
    '/': (_req, res) => sendText(res, DASHBOARD_HTML, 'text/html', headers),
    '/assets/dashboard.js': (_req, res) => sendText(res, DASHBOARD_SCRIPT, 'text/javascript'),
    '/assets/dashboard.css': (_req, res) => sendText(res, DASHBOARD_CSS, 'text/css'),
    '/api/dashboard': async (_req: IncomingMessage, res: ServerResponse, url: URL) => {
      try {
        const raw = url.searchParams.get('days');
        const days = parseDays(raw === null || raw === '' ? options.config.monitoring.windowDays : raw, 'days');
        const data = await buildDashboardData({ config: options.config, paths: options.paths, now: clock.now(), days });
        sendJson(res, 200, data, { 'cache-control': 'no-store' });
      } catch (error) {
        if (error instanceof InputError) {
          sendError(res, 400, error.message);
          return;
        }
        const message = isWeb4Error(error) ? error.toUserString() : (error as Error).message;
        sendError(res, 500, `The dashboard could not read its figures: ${message}`);
      }
    },
  };
}
