import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { GatewayHttpError } from './http-errors.js';

export interface OllamaUpstreamOptions {
  /** Ollama could not be reached within this long: 502. */
  connectTimeoutMs: number;
  /** Ollama did not start answering (status line) within this long: 504. */
  upstreamTimeoutMs: number;
}

/** Headers that belong to one connection and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);

/**
 * Requests to Ollama over kept-alive connections, with the gateway's two time limits: reaching
 * Ollama at all (502) and Ollama starting to answer (504). Every request can be cancelled with
 * an AbortSignal (a client that went away, the gateway closing).
 */
export class OllamaUpstream {
  readonly url: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 256, scheduling: 'lifo' });

  constructor(
    url: string,
    private readonly options: OllamaUpstreamOptions,
  ) {
    this.url = new URL(url);
  }

  /**
   * Send one request; resolves with Ollama's response once its status line arrived. Rejects with
   * a GatewayHttpError: 502 (unreachable), 504 (no answer in time), 499 (cancelled by `signal`).
   */
  request(method: string, path: string, headers: OutgoingHttpHeaders, body: Buffer | IncomingMessage | undefined, signal?: AbortSignal): Promise<IncomingMessage> {
    const { connectTimeoutMs, upstreamTimeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      const fail = (error: GatewayHttpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(answerTimer);
        upstream.destroy();
        reject(error);
      };
      // The signal is watched here rather than passed to http.request (whose AbortSignal support
      // costs an end-of-stream watcher per request): an abort destroys the request, and with it
      // the response being read; the listener goes when the request closes.
      const upstream = request({ protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, path, method, headers, agent: this.agent });
      if (signal) {
        const onAbort = () => upstream.destroy(Object.assign(new Error('The request to Ollama was cancelled.'), { name: 'AbortError', code: 'ABORT_ERR' }));
        if (signal.aborted) queueMicrotask(onAbort);
        else {
          signal.addEventListener('abort', onAbort, { once: true });
          upstream.once('close', () => signal.removeEventListener('abort', onAbort));
        }
      }
      const answerTimer = setTimeout(
        () => fail(new GatewayHttpError(504, 'upstream_timeout', `Ollama at ${this.url.origin} did not start answering within ${upstreamTimeoutMs} ms. It may be overloaded or loading a model: retry later, or raise gateway.upstreamTimeoutMs.`)),
        upstreamTimeoutMs,
      );
      // A kept-alive connection is connected already: the connect limit runs only for a new one.
      upstream.on('socket', (socket) => {
        if (!socket.connecting || settled) return;
        connectTimer = setTimeout(
          () => fail(new GatewayHttpError(502, 'upstream_unavailable', `Ollama at ${this.url.origin} could not be reached within ${connectTimeoutMs} ms. Check that it runs (\`web4 services status\`), or raise gateway.connectTimeoutMs.`)),
          connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      upstream.on('response', (response) => {
        if (settled) {
          response.destroy();
          return;
        }
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(answerTimer);
        resolve(response);
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => fail(this.toHttpError(error, signal)));
      if (body === undefined) upstream.end();
      else if (Buffer.isBuffer(body)) upstream.end(body);
      else body.pipe(upstream);
    });
  }

  /** A GET answered as parsed JSON (e.g. `/api/tags`); rejects on a non-2xx status. */
  async getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const response = await this.request('GET', path, { accept: 'application/json' }, undefined, signal);
    const text = await readText(response);
    if ((response.statusCode ?? 500) >= 300) throw new GatewayHttpError(502, 'upstream_error', `Ollama answered ${response.statusCode} to GET ${path}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  /**
   * Forward a request unchanged (method, path, headers, body) and stream Ollama's answer back
   * (status, headers, body). The body is streamed both ways, never buffered. Returns the status.
   */
  async passthrough(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<number> {
    const headers = forwardHeaders(req.headers);
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const response = await this.request(req.method ?? 'GET', req.url ?? '/', headers, hasBody ? req : undefined, signal);
    const status = response.statusCode ?? 502;
    res.writeHead(status, forwardHeaders(response.headers, false));
    await pipeline(response, res).catch(() => undefined); // a client or Ollama that went away mid-body
    return status;
  }

  /** Close the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private toHttpError(error: NodeJS.ErrnoException, signal: AbortSignal | undefined): GatewayHttpError {
    if (error instanceof GatewayHttpError) return error;
    if (signal?.aborted || error.name === 'AbortError') {
      const reason: unknown = signal?.reason;
      return reason instanceof GatewayHttpError ? reason : new GatewayHttpError(499, 'client_disconnect', 'The client closed the connection; the request to Ollama was cancelled.');
    }
    const code = error.code ?? error.name;
    return new GatewayHttpError(
      502,
      'upstream_unavailable',
      `Ollama at ${this.url.origin} is not reachable (${code}: ${error.message}). Start it with \`web4 services up\`, or check services.ollama.url.`,
    );
  }
}

/** Request or response headers without the hop-by-hop ones (and, towards Ollama, without the gateway's own Authorization). */
export function forwardHeaders(headers: IncomingHttpHeaders, toUpstream = true): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (toUpstream && (name === 'host' || name === 'authorization')) continue;
    out[name] = value;
  }
  return out;
}

/** A response body as text, at most `maxBytes` (the rest is discarded). */
export async function readText(response: IncomingMessage, maxBytes = 1_048_576): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (size < maxBytes) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
}
