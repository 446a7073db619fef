import type { IncomingMessage } from 'node:http';
import { GatewayHttpError } from './http-errors.js';

/**
 * Read a request body of at most `maxBytes`. A larger one is refused as soon as it is known
 * (from Content-Length, or the moment the running total passes the limit): the rest is never
 * buffered, and the connection is closed after the 413.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = (bytes: string) =>
    new GatewayHttpError(413, 'body_too_large', `The request body is ${bytes}, over the gateway's limit of ${maxBytes} bytes. Send a shorter request, or raise gateway.maxBodyBytes in web4.config.json.`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(`${declared} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge(`more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => {
      cleanup();
      reject(new GatewayHttpError(499, 'client_disconnect', 'The client closed the connection before sending the whole request.'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Parse a JSON object body; anything else is a 400 that says what was wrong. */
export function parseJsonObject(body: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new GatewayHttpError(400, 'bad_request', `The body of ${what} is not valid JSON (${(error as Error).message}). Send a JSON object, e.g. {"model": "...", "messages": [...]}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayHttpError(400, 'bad_request', `The body of ${what} must be a JSON object, got ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}.`);
  }
  return value as Record<string, unknown>;
}
