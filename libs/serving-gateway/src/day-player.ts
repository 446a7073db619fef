import { InputError, seededRandom } from '@web4/core';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Ollama } from 'ollama';
import { parse } from 'yaml';
import { QUERY_ID_HEADER } from './query-route.js';

/**
 * A simulated working day against the gateway (`web4 demo`, `npm start`): developers' questions
 * asked with the real `ollama` client pointed at the gateway, each answer rated by a seeded
 * simulated user through `POST /api/feedback` with the query id the gateway returned. Nothing
 * here records metrics: the gateway does, exactly as for any other client.
 */

/** One question of the day, with the words a useful answer mentions (any one, case ignored). */
export interface DayQuestion {
  id: string;
  query: string;
  /** `project`: needs the journal or the components; `general`: any coding question. */
  kind: 'project' | 'general';
  expect: string[];
}

/** What the simulated user thought of one answer. */
export interface UserVerdict {
  rating: 'up' | 'down';
  /** The expected words the answer mentions. */
  matched: string[];
  comment: string;
}

export interface PlayedQuery {
  /** 1-based position in the day. */
  n: number;
  question: DayQuestion;
  /** The gateway's query id (null when the answer carried none: not a gateway, or a failure). */
  queryId: string | null;
  answer: string;
  /** Measured by this client, end to end. */
  latencyMs: number;
  tokensOut: number | null;
  error: string | null;
  verdict: UserVerdict | null;
  /** Whether the rating reached the gateway. */
  feedback: 'recorded' | 'failed' | 'not sent';
  feedbackError?: string;
}

export interface DayPlay {
  queries: PlayedQuery[];
  answered: number;
  failed: number;
  up: number;
  down: number;
  feedbackRecorded: number;
  seconds: number;
}

export interface DayPlayOptions {
  /** The gateway (or, for a comparison, Ollama itself: then no query ids and no feedback). */
  gatewayUrl: string;
  /** The model name clients ask for; '' (none): the one the gateway serves (production, else the base model). */
  model: string;
  questions: readonly DayQuestion[];
  /** Longest answer in tokens (num_predict): the small CPU model keeps the day short. */
  maxTokens: number;
  /** Seeds the simulated user: the same seed and answers give the same ratings. */
  seed: string;
  token?: string;
  /** Give up on one answer after this long. */
  timeoutMs?: number;
  system?: string;
  onQuery?: (played: PlayedQuery, total: number) => void;
  signal?: AbortSignal;
}

const STOP = new Set(['about', 'after', 'before', 'their', 'there', 'which', 'while', 'where', 'these', 'those', 'other', 'first', 'every', 'under', 'again', 'still', 'small']);

/** Words a good answer about a document would use: a component's name and its parts, a PDCA's or topic's slug words. */
export function documentTerms(documentId: string): string[] {
  const name = basename(documentId).replace(/\.pdca\.md$|\.[a-z]+$/i, '');
  const slug = name.replace(/^\d{4}-\d{2}-\d{2}-UTC-\d{4}-|^\d{8}-/, '');
  const terms = new Set<string>();
  if (/[a-z][A-Z]/.test(slug)) {
    terms.add(slug);
    for (const part of slug.split(/(?=[A-Z])/)) if (part.length >= 5) terms.add(part.toLowerCase());
  } else {
    for (const word of slug.split(/[-_]/)) if (word.length >= 5 && !STOP.has(word) && !/^\d+$/.test(word)) terms.add(word.toLowerCase());
  }
  return [...terms];
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`Cannot read the ${what} ${file}: ${(error as Error).message}.`, { hint: 'Check the path in web4.config.json.' });
  }
  try {
    return parse(text);
  } catch (error) {
    throw new InputError(`The ${what} ${file} is not valid YAML: ${(error as Error).message}.`);
  }
}

/** The project questions of the labelled relevance set (`rag.relevanceSet`), each expecting its documents' terms. */
export function projectQuestions(relevanceFile: string): DayQuestion[] {
  const data = readYaml(relevanceFile, 'relevance set') as { queries?: Array<{ id?: string; query?: string; relevant?: Record<string, string[]> }> } | null;
  const out: DayQuestion[] = [];
  for (const [i, q] of (data?.queries ?? []).entries()) {
    if (typeof q?.query !== 'string' || q.query.trim() === '') throw new InputError(`${relevanceFile}: query ${i + 1} has no text.`, { hint: 'Each entry needs `query: <text>`.' });
    const terms = new Set<string>();
    for (const docs of Object.values(q.relevant ?? {})) for (const d of docs ?? []) for (const t of documentTerms(d)) terms.add(t);
    out.push({ id: q.id ?? `q${i + 1}`, query: q.query, kind: 'project', expect: [...terms] });
  }
  return out;
}

/** General coding questions (examples/demo/general_questions.yaml): `questions: [{id, query, expect: [...]}]`. */
export function generalQuestions(file: string): DayQuestion[] {
  const data = readYaml(file, 'general questions file') as { questions?: Array<{ id?: string; query?: string; expect?: unknown }> } | null;
  return (data?.questions ?? []).map((q, i) => {
    if (typeof q?.query !== 'string' || q.query.trim() === '') throw new InputError(`${file}: question ${i + 1} has no text.`, { hint: 'Each entry needs `query: <text>`.' });
    const expect = Array.isArray(q.expect) ? q.expect.map(String) : [];
    return { id: q.id ?? `g${i + 1}`, query: q.query, kind: 'general', expect };
  });
}

/**
 * The day's questions: `count` of them, general and project questions in turn, each pool in a
 * seeded order (the same seed gives the same day; each played day gets its own seed).
 */
export function pickDayQuestions(project: readonly DayQuestion[], general: readonly DayQuestion[], count: number, seed: string): DayQuestion[] {
  if (!Number.isInteger(count) || count < 1) throw new InputError(`The day needs a whole number of questions ≥ 1, got ${count}.`);
  if (project.length + general.length === 0) throw new InputError('There are no questions to ask.', { hint: 'Check rag.relevanceSet and examples/demo/general_questions.yaml.' });
  const rnd = seededRandom(`pick:${seed}`);
  const shuffled = (xs: readonly DayQuestion[]) => xs.map((q) => ({ q, k: rnd() })).sort((a, b) => a.k - b.k).map((x) => x.q);
  const p = shuffled(project);
  const g = shuffled(general);
  const day: DayQuestion[] = [];
  let gi = 0;
  let pi = 0;
  // Alternate general and project questions; cycle through a pool when the day is longer than it.
  for (let i = 0; i < count; i++) {
    const fromGeneral = p.length === 0 || (g.length > 0 && i % 2 === 0);
    day.push(fromGeneral ? g[gi++ % g.length]! : p[pi++ % p.length]!);
  }
  return day;
}

/**
 * The seeded simulated user: an answer that mentions what the question needed (one of its
 * expected words) gets thumbs up 85 % of the time, one that does not 30 %; an empty or failed
 * answer always thumbs down. The draw depends on the seed and the question only, so the same run
 * (same answers) rates the same.
 */
export function simulatedUser(seed: string): (q: DayQuestion, n: number, answer: string) => UserVerdict {
  return (q, n, answer) => {
    const draw = seededRandom(`rate:${seed}:${n}:${q.id}`)();
    const text = answer.toLowerCase();
    const matched = q.expect.filter((w) => w !== '' && text.includes(w.toLowerCase()));
    if (answer.trim() === '') return { rating: 'down', matched, comment: 'no answer' };
    const up = draw < (matched.length > 0 ? 0.85 : 0.3);
    const comment = matched.length > 0 ? `${up ? 'useful' : 'mentions the right thing but did not help'}: ${matched.slice(0, 3).join(', ')}` : up ? 'good enough' : `did not mention ${q.expect.slice(0, 3).join(' / ') || 'what I needed'}`;
    return { rating: up ? 'up' : 'down', matched, comment };
  };
}

/** The gateway's query id of an answer: its header, else the field of its (last) JSON object. */
export function queryIdOf(headers: Headers | undefined, body: unknown): string | null {
  const fromHeader = headers?.get(QUERY_ID_HEADER) ?? null;
  if (fromHeader) return fromHeader;
  const field = (body as Record<string, unknown> | null)?.web4_query_id;
  return typeof field === 'string' && field !== '' ? field : null;
}

/** Play the day: each question in turn, then its rating; one failed question does not stop the day. */
export async function playDay(o: DayPlayOptions): Promise<DayPlay> {
  const started = performance.now();
  const rate = simulatedUser(o.seed);
  const auth: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
  let lastHeaders: Headers | undefined;
  const client = new Ollama({
    host: o.gatewayUrl,
    headers: auth,
    fetch: async (input, init) => {
      const signals = [...(o.timeoutMs ? [AbortSignal.timeout(o.timeoutMs)] : []), ...(init?.signal ? [init.signal] : []), ...(o.signal ? [o.signal] : [])];
      const res = await fetch(input, { ...init, ...(signals.length ? { signal: AbortSignal.any(signals) } : {}) });
      lastHeaders = res.headers;
      return res;
    },
  });
  const played: PlayedQuery[] = [];
  for (const [i, question] of o.questions.entries()) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('interrupted');
    const n = i + 1;
    const t0 = performance.now();
    lastHeaders = undefined;
    let p: PlayedQuery;
    try {
      const messages = [...(o.system ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: question.query }];
      const res = await client.chat({ model: o.model, stream: false, messages, options: { temperature: 0, num_predict: o.maxTokens } });
      const answer = res.message?.content ?? '';
      p = { n, question, queryId: queryIdOf(lastHeaders, res), answer, latencyMs: performance.now() - t0, tokensOut: res.eval_count ?? null, error: null, verdict: rate(question, n, answer), feedback: 'not sent' };
    } catch (error) {
      if (o.signal?.aborted) throw o.signal.reason ?? error;
      p = { n, question, queryId: queryIdOf(lastHeaders, null), answer: '', latencyMs: performance.now() - t0, tokensOut: null, error: (error as Error).message, verdict: null, feedback: 'not sent' };
    }
    if (p.verdict && p.queryId) {
      try {
        await sendFeedback(o.gatewayUrl, p.queryId, p.verdict, auth, o.signal);
        p.feedback = 'recorded';
      } catch (error) {
        p.feedback = 'failed';
        p.feedbackError = (error as Error).message;
      }
    }
    played.push(p);
    o.onQuery?.(p, o.questions.length);
  }
  return {
    queries: played,
    answered: played.filter((p) => p.error === null).length,
    failed: played.filter((p) => p.error !== null).length,
    up: played.filter((p) => p.verdict?.rating === 'up').length,
    down: played.filter((p) => p.verdict?.rating === 'down').length,
    feedbackRecorded: played.filter((p) => p.feedback === 'recorded').length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** `POST /api/feedback` for one answer, as a client would send it. */
export async function sendFeedback(gatewayUrl: string, queryId: string, verdict: UserVerdict, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<void> {
  const res = await fetch(new URL('/api/feedback', gatewayUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query_id: queryId, rating: verdict.rating, comment: verdict.comment }),
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new Error(`POST /api/feedback answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}
