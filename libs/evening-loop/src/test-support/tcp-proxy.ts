import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** http://127.0.0.1:<port>, forwarding to the target. */
  url: string;
  /** Refuse connections and cut open ones, as a stopped server does. */
  down(): Promise<void>;
  /** Accept connections again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP forwarder in front of a real server (Chroma, Ollama) that a test can take down and bring
 * back at a precise moment: the client sees exactly what a stopped server gives it (connection
 * refused, reset), and the data behind it survives, as it would across a service restart.
 */
export async function tcpProxy(target: string): Promise<TcpProxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(t.port), t.hostname);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { url: `http://127.0.0.1:${port}`, down, up: listen, close: down };
}
