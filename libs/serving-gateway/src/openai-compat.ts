import type { IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { parseJsonObject, readBody } from './body.js';
import { GatewayHttpError, kindOfUpstreamStatus, sendError, sendJson } from './http-errors.js';
import { readText } from './ollama-proxy.js';
import { addContext, QUERY_ID_HEADER, questionOf, toHttpError, type QueryRouteDeps, type QueryState } from './query-route.js';

interface OpenAiChunk {
  choices?: Array<{ delta?: { content?: string | null }; message?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  model?: string;
  error?: unknown;
  [key: string]: unknown;
}

/**
 * POST /v1/chat/completions: Ollama serves the OpenAI shape itself, so the request goes to it as
 * the client sent it (plus context when routed, and usage in the stream so that tokens are
 * counted), and the answer comes back as Ollama gives it. The query is recorded like /api/chat;
 * the time to first token is measured on streamed answers only (Ollama's OpenAI endpoint does
 * not report it, and a non-streamed answer arrives whole), tokens/s is not known here.
 */
export async function serveOpenAiChat(q: QueryState, req: IncomingMessage, res: ServerResponse, signal: AbortSignal, deps: QueryRouteDeps): Promise<void> {
  res.setHeader(QUERY_ID_HEADER, q.queryId);
  try {
    const body = parseJsonObject(await readBody(req, deps.config.gateway.maxBodyBytes), 'POST /v1/chat/completions');
    q.stream = body.stream === true;
    q.question = questionOf('openai_chat', body);
    if (typeof body.model !== 'string' || body.model === '') throw new GatewayHttpError(400, 'bad_request', '"model" is required: the name of an Ollama model (GET /api/tags lists them).');
    q.requestedModel = q.model = body.model;
    await addContext(q, body, signal, deps);
    const clientWantsUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    if (q.stream) body.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
    const response = await deps.upstream.request('POST', '/v1/chat/completions', { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(body)), signal);
    const status = response.statusCode ?? 502;
    if (status !== 200) {
      const text = await readText(response);
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: string } | string };
        message = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? text);
      } catch {
        // Ollama's text as it is
      }
      q.fail(new GatewayHttpError(status, kindOfUpstreamStatus(status), message || `Ollama answered HTTP ${status}.`));
      deps.record(q);
      res.writeHead(status, { 'content-type': response.headers['content-type'] ?? 'application/json' });
      res.end(text);
      return;
    }
    if (!q.stream) {
      const answer = JSON.parse(await readText(response, 64 * 1024 * 1024)) as OpenAiChunk;
      takeUsage(q, answer);
      q.answer = answer.choices?.[0]?.message?.content ?? '';
      deps.record(q);
      sendJson(res, 200, { ...answer, web4_query_id: q.queryId }, { [QUERY_ID_HEADER]: q.queryId });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', [QUERY_ID_HEADER]: q.queryId });
    const decoder = new StringDecoder('utf8');
    let pending = '';
    const onEvent = (event: string): void => {
      const data = event.startsWith('data: ') ? event.slice(6) : undefined;
      if (data === undefined || data === '[DONE]') {
        res.write(event + '\n\n');
        return;
      }
      let chunk: OpenAiChunk;
      try {
        chunk = JSON.parse(data) as OpenAiChunk;
      } catch {
        res.write(event + '\n\n');
        return;
      }
      const piece = chunk.choices?.[0]?.delta?.content;
      if (piece && q.ttftMs === null) q.ttftMs = performance.now() - q.started;
      if (piece && q.answer.length < 65_536) q.answer += piece;
      if (chunk.usage) {
        takeUsage(q, chunk);
        if (!clientWantsUsage && (chunk.choices?.length ?? 0) === 0) return; // the usage chunk only we asked for
      }
      if (chunk.choices?.[0]?.finish_reason) {
        chunk.web4_query_id = q.queryId;
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        return;
      }
      res.write(event + '\n\n');
    };
    for await (const data of response as AsyncIterable<Buffer>) {
      pending += decoder.write(data);
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        onEvent(pending.slice(0, end));
        pending = pending.slice(end + 2);
      }
    }
    pending += decoder.end();
    if (pending.trim() !== '') onEvent(pending.trim());
    deps.record(q);
    res.end();
  } catch (error) {
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    q.fail(reason instanceof GatewayHttpError ? reason : toHttpError(error, deps.logger));
    deps.record(q);
    sendError(res, q.status, q.error!, q.errorKind === 'body_too_large' ? { connection: 'close' } : {});
  }
}

function takeUsage(q: QueryState, chunk: OpenAiChunk): void {
  if (typeof chunk.model === 'string' && chunk.model !== '') q.model = chunk.model;
  const usage = chunk.usage;
  if (!usage) return;
  if (Number.isInteger(usage.prompt_tokens)) q.tokensIn = usage.prompt_tokens!;
  if (Number.isInteger(usage.completion_tokens)) q.tokensOut = usage.completion_tokens!;
}
