import { formatContext, servingPrompt } from '@web4/canary-suite';
import type { Logger, Web4Config } from '@web4/core';
import { newQueryId } from '@web4/metrics-store';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonObject, readBody } from './body.js';
import { GatewayHttpError, kindOfUpstreamStatus, sendError, sendJson } from './http-errors.js';
import { readText, type OllamaUpstream } from './ollama-proxy.js';
import type { ServedModels } from './served-models.js';
import type { ContextRetriever, GatewayEndpoint, GatewayErrorKind, QueryRouter, RouteDecision, TierName } from './types.js';

/** The response header (and JSON field `web4_query_id`) that names a query for feedback. */
export const QUERY_ID_HEADER = 'x-web4-query-id';
/** Optional request header: the query type recorded in query_metrics (default `general`). */
export const QUERY_TYPE_HEADER = 'x-web4-query-type';

/** Everything measured about one query while it is served; recorded once, when it ends. */
export class QueryState {
  /** Time-ordered (UUIDv7): appends to query_metrics' id index instead of writing random pages. */
  readonly queryId = newQueryId();
  readonly started = performance.now();
  stream = true;
  requestedModel = '';
  model = '';
  question = '';
  queryType = 'general';
  routed: 'trained' | 'retrieval' = 'trained';
  tiersUsed: TierName[] = [];
  retrievalMs = 0;
  ttftMs: number | null = null;
  tokensIn: number | null = null;
  tokensOut: number | null = null;
  tokensPerSecond: number | null = null;
  status = 200;
  errorKind: GatewayErrorKind | null = null;
  error: string | null = null;
  /** The answer's text (bounded), kept for feedback rows. */
  answer = '';
  /** false for requests that are not queries (an empty prompt only loads the model). */
  isQuery = true;

  constructor(
    readonly endpoint: GatewayEndpoint,
    readonly timestamp: Date,
  ) {}

  fail(error: GatewayHttpError): void {
    this.status = error.status;
    this.errorKind = error.kind;
    this.error = error.message;
  }
}

export interface QueryRouteDeps {
  config: Web4Config;
  upstream: OllamaUpstream;
  models: ServedModels;
  router?: QueryRouter | undefined;
  retriever?: ContextRetriever | undefined;
  logger: Logger;
  /**
   * Record the query (metrics row, observers, recent answers); called exactly once per query, in
   * the same turn of the event loop as the response's end: right after it for a complete answer
   * (the client's last byte does not wait for the recording), before it for a failure.
   */
  record(q: QueryState): void;
}

const MAX_KEPT_ANSWER_CHARS = 65_536;
/** What relayAnswer does with one line of Ollama's answer besides its own text: pass its bytes on, or drop it. */
const PASS = 0;
const SKIP = 1;
const TRAINED: RouteDecision = { retrieve: false, tiers: [], confidence: 1, reason: 'no router: the trained model answers' };
const NEVER: RouteDecision = { ...TRAINED, reason: 'gateway.routing.mode is "never"' };

/**
 * POST /api/chat and /api/generate: route (Training-First), retrieve and add the context when
 * the router says so, ask Ollama (always streaming, so that the time to the first token is
 * measured), and answer the client in the form it asked for (NDJSON stream or one JSON object),
 * with the query id in the header and in the last object.
 */
export async function serveQuery(q: QueryState, req: IncomingMessage, res: ServerResponse, signal: AbortSignal, deps: QueryRouteDeps): Promise<void> {
  const path = q.endpoint === 'chat' ? '/api/chat' : '/api/generate';
  res.setHeader(QUERY_ID_HEADER, q.queryId);
  const type = req.headers[QUERY_TYPE_HEADER];
  if (typeof type === 'string' && type.length > 0 && type.length <= 200) q.queryType = type;
  try {
    const raw = await readBody(req, deps.config.gateway.maxBodyBytes);
    const body = parseJsonObject(raw, `POST ${path}`);
    q.stream = body.stream !== false;
    q.question = questionOf(q.endpoint, body);
    /** Whether `body` differs from what the client sent (then it is serialised again). */
    let changed = false;
    if (typeof body.model === 'string' && body.model !== '') q.requestedModel = body.model;
    else {
      body.model = await deps.models.defaultName().catch((error: Error) => {
        throw new GatewayHttpError(502, 'upstream_unavailable', `No model named in the request, and Ollama could not list its models to pick the served one: ${error.message}`);
      });
      q.requestedModel = '';
      changed = true;
    }
    q.model = body.model as string;
    if (q.question.trim() === '') {
      // Ollama loads (or unloads) a model on an empty prompt: not a query, passed on as it is.
      q.isQuery = false;
      await relayUnchanged(path, changed ? Buffer.from(JSON.stringify(body)) : raw, res, signal, deps.upstream);
      return;
    }
    if (!(q.endpoint === 'generate' && body.raw === true)) changed = (await addContext(q, body, signal, deps)) || changed;
    // Ollama streams unless told `"stream": false`: a body the gateway did not change, and that
    // asks for a stream (or says nothing), goes to Ollama as the client's own bytes.
    const upstreamBody = !changed && (body.stream === true || body.stream === undefined) ? raw : Buffer.from(JSON.stringify({ ...body, stream: true }));
    const response = await deps.upstream.request('POST', path, { 'content-type': 'application/json' }, upstreamBody, signal);
    if (response.statusCode !== 200) {
      const text = await readText(response);
      const status = response.statusCode ?? 502;
      q.fail(new GatewayHttpError(status, kindOfUpstreamStatus(status), upstreamErrorText(text, status, q.model)));
      deps.record(q);
      sendError(res, q.status, q.error!);
      return;
    }
    await relayAnswer(q, response, res, deps);
  } catch (error) {
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    q.fail(reason instanceof GatewayHttpError ? reason : toHttpError(error, deps.logger));
    if (!q.isQuery) {
      sendError(res, q.status, q.error!);
      return;
    }
    deps.record(q);
    // Mid-stream: the status is gone, the error still reaches the client as Ollama sends one, a last line.
    if (res.headersSent && !res.writableEnded && !res.destroyed) res.end(JSON.stringify({ error: q.error }) + '\n');
    else sendError(res, q.status, q.error!, q.errorKind === 'body_too_large' ? { connection: 'close' } : {});
  }
}

/** The question a query asks: the last user message (chat) or the prompt (generate); 400 when the shape is wrong. */
export function questionOf(endpoint: GatewayEndpoint, body: Record<string, unknown>): string {
  if (endpoint === 'generate') {
    if (body.prompt === undefined) return '';
    if (typeof body.prompt !== 'string') throw new GatewayHttpError(400, 'bad_request', `"prompt" must be a string, got ${typeof body.prompt}.`);
    return body.prompt;
  }
  const messages = body.messages;
  if (messages === undefined) return '';
  if (!Array.isArray(messages)) throw new GatewayHttpError(400, 'bad_request', `"messages" must be an array of {role, content}, got ${typeof messages}.`);
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null;
    if (m === null || typeof m !== 'object') throw new GatewayHttpError(400, 'bad_request', `messages[${i}] must be an object {role, content}.`);
    if (m.role === 'user') {
      if (typeof m.content === 'string') return m.content;
      // OpenAI's form: an array of parts, the text ones joined.
      if (endpoint === 'openai_chat' && Array.isArray(m.content)) {
        return (m.content as Array<{ type?: unknown; text?: unknown }>).filter((p) => p?.type === 'text' && typeof p.text === 'string').map((p) => p.text).join('\n');
      }
      throw new GatewayHttpError(400, 'bad_request', `messages[${i}].content must be a string.`);
    }
  }
  return '';
}

/**
 * Ask the router; when it says retrieve, put the retrieved items into the prompt and record the
 * tiers that reached it. Resolves true when `body` was changed (served system prompt, context).
 */
export async function addContext(q: QueryState, body: Record<string, unknown>, signal: AbortSignal, deps: QueryRouteDeps): Promise<boolean> {
  const changed = addServingSystem(q, body, deps.config.serving.systemPrompt);
  const decision = await decide(q.question, signal, deps);
  if (!decision.retrieve || !deps.retriever) return changed;
  const started = performance.now();
  let retrieved;
  try {
    retrieved = await deps.retriever.retrieve(q.question, decision, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    q.retrievalMs = performance.now() - started;
    throw new GatewayHttpError(502, 'retrieval_failed', `Retrieving context failed: ${(error as Error).message}. Check \`web4 services status\` (Chroma), or set gateway.routing.mode to "never" to answer from the trained model alone.`);
  }
  q.retrievalMs = retrieved.latencyMs;
  q.routed = 'retrieval';
  if (retrieved.items.length === 0) return changed; // asked, nothing good enough: the model answers alone
  q.tiersUsed = [...retrieved.tiersUsed];
  const prompt = servingPrompt(q.question, formatContext(retrieved.items));
  if (q.endpoint === 'generate') body.prompt = prompt;
  else {
    const messages = [...(body.messages as Array<Record<string, unknown>>)];
    const last = messages.findLastIndex((m) => m.role === 'user');
    messages[last] = { ...messages[last], content: prompt };
    body.messages = messages;
  }
  return true;
}

/**
 * The served system prompt (config.serving.systemPrompt, the one `web4 ask`, the canaries and the
 * morning check use) when the client sent none of its own: users are served as the model is judged.
 */
function addServingSystem(q: QueryState, body: Record<string, unknown>, system: string): boolean {
  if (!system) return false;
  if (q.endpoint === 'generate') {
    if (typeof body.system === 'string' && body.system !== '') return false;
    body.system = system;
    return true;
  }
  const messages = body.messages as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(messages) || messages.some((m) => m.role === 'system')) return false;
  body.messages = [{ role: 'system', content: system }, ...messages];
  return true;
}

async function decide(question: string, signal: AbortSignal, deps: QueryRouteDeps): Promise<RouteDecision> {
  const routing = deps.config.gateway.routing;
  if (routing.mode === 'never') return NEVER;
  if (routing.mode === 'always') return { retrieve: true, tiers: [...routing.tiers], confidence: 1, reason: 'gateway.routing.mode is "always"' };
  if (!deps.router) return TRAINED;
  try {
    return await deps.router.decide(question, signal);
  } catch (error) {
    if (signal.aborted) throw error;
    deps.logger.warn({ err: error }, 'gateway: the router failed; the trained model answers alone');
    return { ...TRAINED, reason: `router failed: ${(error as Error).message}` };
  }
}

interface OllamaChunk {
  error?: string;
  done?: boolean;
  response?: string;
  thinking?: string;
  message?: { role?: string; content?: string; thinking?: string; tool_calls?: unknown[]; images?: unknown };
  prompt_eval_count?: number;
  eval_count?: number;
  eval_duration?: number;
  model?: string;
  [key: string]: unknown;
}

/**
 * Read Ollama's NDJSON answer line by line: pass it on (stream) or assemble it (one JSON object).
 * Streamed, every line goes to the client as the bytes Ollama sent, except blank lines (dropped)
 * and the last one (`done`), which gets the query id and goes out with the end of the stream;
 * the counts are read from that line.
 */
async function relayAnswer(q: QueryState, response: IncomingMessage, res: ServerResponse, deps: QueryRouteDeps): Promise<void> {
  const chat = q.endpoint === 'chat';
  let text = '';
  let thinking = '';
  const toolCalls: unknown[] = [];
  let final: OllamaChunk | undefined;
  let upstreamError: string | undefined;
  if (q.stream) res.writeHead(200, { 'content-type': 'application/x-ndjson', [QUERY_ID_HEADER]: q.queryId });

  /** One line: PASS (its bytes go on unchanged), SKIP, or the text to send instead. */
  const onLine = (line: string): string | typeof PASS | typeof SKIP => {
    if (line.trim() === '') return SKIP;
    let chunk: OllamaChunk;
    try {
      chunk = JSON.parse(line) as OllamaChunk;
    } catch {
      return PASS;
    }
    if (typeof chunk.error === 'string') {
      upstreamError = chunk.error;
      return PASS;
    }
    const piece = chat ? chunk.message?.content : chunk.response;
    const thought = chat ? chunk.message?.thinking : chunk.thinking;
    if ((piece || thought) && q.ttftMs === null) q.ttftMs = performance.now() - q.started;
    if (piece) {
      if (!q.stream) text += piece;
      if (q.answer.length < MAX_KEPT_ANSWER_CHARS) q.answer += piece;
    }
    if (thought && !q.stream) thinking += thought;
    if (chat && Array.isArray(chunk.message?.tool_calls) && !q.stream) toolCalls.push(...chunk.message.tool_calls);
    if (chunk.done !== true) return PASS;
    final = chunk;
    takeCounts(q, chunk);
    return q.stream ? withQueryId(line, chunk, q.queryId) : SKIP;
  };

  // Ollama started but stopped sending: the same limit as for starting, never a hang.
  const limitMs = deps.config.gateway.upstreamTimeoutMs;
  const last = await readLines(response, res, q.stream, onLine, limitMs, () => new GatewayHttpError(504, 'upstream_timeout', `Ollama stopped sending its answer with ${q.model} for ${limitMs} ms. It may be overloaded: retry later, or raise gateway.upstreamTimeoutMs.`));

  if (upstreamError !== undefined || final === undefined) {
    const message = upstreamError !== undefined ? `Ollama failed while answering with ${q.model}: ${upstreamError}` : `Ollama's answer with ${q.model} ended before it was complete (the model server may have stopped).`;
    q.fail(new GatewayHttpError(q.stream ? 200 : 502, 'upstream_error', message));
    deps.record(q);
    if (q.stream) {
      if (last !== undefined) res.write(last);
      if (upstreamError === undefined) res.write(JSON.stringify({ error: message }) + '\n');
      res.end();
    } else sendError(res, 502, message);
    return;
  }
  if (q.stream) {
    // The last line and the end of the stream in one write; the client has its answer before the
    // recording (the row, the observers) runs.
    res.end(last);
    deps.record(q);
    return;
  }
  const answer: OllamaChunk = chat
    ? {
        ...final,
        message: {
          ...final.message,
          role: 'assistant',
          content: text,
          ...(thinking ? { thinking } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
      }
    : { ...final, response: text, ...(thinking ? { thinking } : {}) };
  answer.web4_query_id = q.queryId;
  sendJson(res, 200, answer, { [QUERY_ID_HEADER]: q.queryId });
  deps.record(q);
}

/** Ollama's last line with `web4_query_id` added as its last key: its own text, not serialised again. */
function withQueryId(line: string, chunk: OllamaChunk, queryId: string): string {
  const end = line.lastIndexOf('}');
  if (Object.hasOwn(chunk, 'web4_query_id') || end < 0 || line.slice(end + 1).trim() !== '') {
    chunk.web4_query_id = queryId;
    return JSON.stringify(chunk) + '\n';
  }
  return `${line.slice(0, end)},"web4_query_id":${JSON.stringify(queryId)}}\n`;
}

/**
 * Split Ollama's NDJSON into lines as it arrives and hand each to `onLine`; streamed, the bytes
 * of the lines it passes go to the client in one write per chunk. A newline byte never occurs
 * inside a UTF-8 character, so lines are cut on bytes and decoded whole. A line `onLine` rewrote
 * (the last one) is held until something follows it, and resolved if nothing did, so that the
 * caller sends it with the end of the response. Waits while the client's buffer is full; rejects
 * when Ollama's answer breaks off or stays silent for `idleMs`.
 */
function readLines(
  response: IncomingMessage,
  res: ServerResponse,
  stream: boolean,
  onLine: (line: string) => string | typeof PASS | typeof SKIP,
  idleMs: number,
  idleError: () => Error,
): Promise<string | undefined> {
  return new Promise<string | undefined>((resolve, reject) => {
    let pending: Buffer | undefined;
    let held: string | undefined;
    let settled = false;
    let drained = true;
    const idle = setTimeout(() => response.destroy(idleError()), idleMs);
    const flushHeld = (): void => {
      if (held === undefined) return;
      drained = res.write(held) && drained;
      held = undefined;
    };
    const write = (data: Buffer | string): void => {
      flushHeld();
      drained = res.write(data) && drained;
    };
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      response.off('data', onData);
      if (!error) return resolve(held);
      if (held !== undefined && !res.writableEnded) res.write(held);
      reject(error);
    };
    const resume = (): void => void response.resume();
    const onData = (data: Buffer): void => {
      idle.refresh();
      const buf = pending === undefined ? data : Buffer.concat([pending, data]);
      pending = undefined;
      let start = 0;
      let written = 0;
      drained = true;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
        const out = onLine(buf.toString('utf8', start, nl));
        if (out !== PASS && stream) {
          if (start > written) write(buf.subarray(written, start));
          if (out !== SKIP) {
            flushHeld();
            held = out;
          }
          written = nl + 1;
        }
        start = nl + 1;
      }
      if (stream && start > written) write(buf.subarray(written, start));
      if (start < buf.length) pending = buf.subarray(start);
      if (!drained) {
        response.pause();
        res.once('drain', resume);
      }
    };
    response.on('data', onData);
    response.once('end', () => {
      // What is left after the last newline is a line too.
      if (pending !== undefined) {
        const line = pending.toString('utf8');
        const out = onLine(line);
        if (stream && out === PASS) write(line + '\n');
        else if (stream && typeof out === 'string') {
          flushHeld();
          held = out;
        }
      }
      settle();
    });
    response.once('error', settle);
    response.once('close', () => {
      if (!response.complete) settle(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      else settle();
    });
  });
}

function takeCounts(q: QueryState, chunk: OllamaChunk): void {
  if (typeof chunk.model === 'string' && chunk.model !== '') q.model = chunk.model;
  if (Number.isInteger(chunk.prompt_eval_count)) q.tokensIn = chunk.prompt_eval_count!;
  if (Number.isInteger(chunk.eval_count)) q.tokensOut = chunk.eval_count!;
  if (q.tokensOut !== null && typeof chunk.eval_duration === 'number' && chunk.eval_duration > 0) {
    q.tokensPerSecond = q.tokensOut / (chunk.eval_duration / 1e9);
  }
}

/** An empty prompt (model load): forwarded unchanged, Ollama's answer relayed as it is. */
async function relayUnchanged(path: string, body: Buffer, res: ServerResponse, signal: AbortSignal, upstream: OllamaUpstream): Promise<void> {
  const response = await upstream.request('POST', path, { 'content-type': 'application/json' }, body, signal);
  res.writeHead(response.statusCode ?? 502, { 'content-type': response.headers['content-type'] ?? 'application/json' });
  for await (const chunk of response as AsyncIterable<Buffer>) res.write(chunk);
  res.end();
}

/** Ollama's `{"error": "..."}` text, with what to do for an unknown model. */
function upstreamErrorText(text: string, status: number, model: string): string {
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {
    // not JSON: Ollama's text as it is
  }
  if (status === 404) return `${message} (Ollama has no model "${model}": list the served ones with \`ollama list\` or GET /api/tags, or pull it first)`;
  return message || `Ollama answered HTTP ${status}.`;
}

export function toHttpError(error: unknown, logger: Logger): GatewayHttpError {
  if (error instanceof GatewayHttpError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e?.name === 'AbortError' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE' || e?.code === 'ECONNRESET') {
    return new GatewayHttpError(502, 'upstream_error', `The connection to Ollama broke during the answer (${e.code ?? e.name}).`);
  }
  logger.error({ err: error }, 'gateway: internal error');
  return new GatewayHttpError(500, 'internal', `Internal gateway error: ${e?.message ?? String(error)}`);
}
