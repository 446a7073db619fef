import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that speaks the few Ollama API calls the gateway's tests and benchmark
 * need, answering at once: it measures the gateway, not a model. `hang` never answers (a stuck
 * Ollama); `drip` streams one chunk every `dripMs` until the client goes away (to see the
 * gateway cancel it).
 */
export interface OllamaStandIn {
  url: string;
  server: Server;
  /** Requests received, by path. */
  requests: Map<string, number>;
  /** Requests whose connection the gateway closed before the answer ended. */
  cancelled: number;
  close(): Promise<void>;
}

export interface OllamaStandInOptions {
  /** `stall`: one chunk, then silence (a model server that stopped mid-answer). */
  mode?: 'instant' | 'hang' | 'drip' | 'stall';
  dripMs?: number;
}

const MODEL = 'web4-base:latest';

export async function startOllamaStandIn(options: OllamaStandInOptions = {}): Promise<OllamaStandIn> {
  const mode = options.mode ?? 'instant';
  const requests = new Map<string, number>();
  const state = { cancelled: 0 };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    res.once('close', () => {
      if (!res.writableFinished) state.cancelled++;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'hang') return;
      answer(path, Buffer.concat(chunks).toString('utf8'), req, res, mode, options.dripMs ?? 50);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    requests,
    get cancelled() {
      return state.cancelled;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(path: string, text: string, _req: IncomingMessage, res: ServerResponse, mode: 'instant' | 'drip' | 'stall', dripMs: number): void {
  const json = (status: number, value: unknown) => {
    const body = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    return void res.end('Ollama is running');
  }
  if (path === '/api/version') return json(200, { version: '0.0.0-stand-in' });
  if (path === '/api/tags') return json(200, { models: [{ name: MODEL, model: MODEL, digest: 'sha256:0', size: 1 }] });
  if (path !== '/api/chat' && path !== '/api/generate') return json(404, { error: `stand-in: no ${path}` });
  let body: { model?: string; stream?: boolean };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return json(400, { error: 'invalid JSON' });
  }
  if (body.model !== MODEL && body.model !== 'web4-base') return json(404, { error: `model '${body.model}' not found` });
  const chat = path === '/api/chat';
  const piece = (t: string) => (chat ? { model: MODEL, created_at: new Date().toISOString(), message: { role: 'assistant', content: t }, done: false } : { model: MODEL, created_at: new Date().toISOString(), response: t, done: false });
  const done = {
    ...(chat ? { message: { role: 'assistant', content: '' } } : { response: '' }),
    model: MODEL,
    created_at: new Date().toISOString(),
    done: true,
    done_reason: 'stop',
    total_duration: 1_000_000,
    load_duration: 1000,
    prompt_eval_count: 7,
    prompt_eval_duration: 100_000,
    eval_count: 2,
    eval_duration: 500_000,
  };
  if (body.stream === false) return json(200, { ...done, ...(chat ? { message: { role: 'assistant', content: 'Hello there' } } : { response: 'Hello there' }) });
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  if (mode === 'stall') {
    res.write(JSON.stringify(piece('Hel')) + '\n');
    return;
  }
  if (mode === 'drip') {
    const timer = setInterval(() => res.write(JSON.stringify(piece('tick ')) + '\n'), dripMs);
    res.once('close', () => clearInterval(timer));
    return;
  }
  res.end(`${JSON.stringify(piece('Hello'))}\n${JSON.stringify(piece(' there'))}\n${JSON.stringify(done)}\n`);
}
