import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of Ollama that times each request it forwards: from the
 * moment its headers arrive to the last byte of Ollama's answer. The latency bench sends both
 * of its arms (Ollama directly, and through the gateway) through it, so subtracting each call's
 * span removes Ollama's own time, and with it Ollama's noise, from the comparison. It also keeps
 * the last request body it forwarded: what the gateway really asked Ollama.
 */
export interface TimingProxy {
  url: string;
  /** Spans of the forwarded requests, in order, in milliseconds. */
  spans: number[];
  /** The body of the last request forwarded. */
  lastBody: string;
  close(): Promise<void>;
}

export async function startTimingProxy(upstreamUrl: string): Promise<TimingProxy> {
  const upstream = new URL(upstreamUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const state: TimingProxy = { url: '', spans: [], lastBody: '', close: async () => {} };
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      state.lastBody = body.toString('utf8');
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
      const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (c: Buffer) => res.write(c));
        answer.on('end', () => {
          state.spans.push(performance.now() - started);
          res.end();
        });
      });
      out.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `timing proxy: ${error.message}` }));
      });
      out.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
