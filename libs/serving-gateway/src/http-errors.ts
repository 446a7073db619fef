import type { ServerResponse } from 'node:http';
import type { GatewayErrorKind } from './types.js';

/**
 * A request the gateway answers with an error, in Ollama's own shape (`{"error": "..."}`), so
 * that every Ollama client shows the text. The message says what to fix.
 */
export class GatewayHttpError extends Error {
  constructor(
    readonly status: number,
    readonly kind: GatewayErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayHttpError';
  }
}

/** Send `{"error": message}` (unless headers already went out: then end the response). */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Send a JSON body. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The error kind of an HTTP status Ollama answered with. */
export function kindOfUpstreamStatus(status: number): GatewayErrorKind {
  if (status === 404) return 'unknown_model';
  if (status >= 400 && status < 500) return 'bad_request';
  return 'upstream_error';
}
