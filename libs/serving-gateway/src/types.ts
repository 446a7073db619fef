import type { Clock, Logger, StatePaths, Web4Config } from '@web4/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * The gateway's contracts: what the HTTP server (server.ts), the Training-First router
 * (router/), the Prometheus metrics (metrics.ts) and the dashboard (dashboard/) agree on.
 */

/** Retrieval tiers a query may use, as query_metrics records them (used_tools, …). */
export type TierName = 'tools' | 'history' | 'trainai' | 'graph';

/** The router's verdict on one query. */
export interface RouteDecision {
  /** false: the trained model answers alone ("pure trained"). */
  retrieve: boolean;
  /** Tiers to retrieve from when `retrieve` (a subset of config.gateway.routing.tiers). */
  tiers: TierName[];
  /** How sure the router is, 0..1 (similarity margin or rule weight). */
  confidence: number;
  /** One short line for logs: which rule or nearest examples decided. */
  reason: string;
}

export interface QueryRouter {
  decide(query: string, signal?: AbortSignal): Promise<RouteDecision>;
}

/** An item put into the prompt (canary-suite's ContextItem). */
export interface GatewayContextItem {
  text: string;
  score: number;
  documentId: string;
  tier: string;
  collection?: string | undefined;
}

export interface RetrievedContext {
  items: GatewayContextItem[];
  /** Tiers whose items reached the prompt: recorded truthfully, never the tiers merely asked. */
  tiersUsed: TierName[];
  latencyMs: number;
}

export interface ContextRetriever {
  retrieve(query: string, decision: RouteDecision, signal?: AbortSignal): Promise<RetrievedContext>;
  close?(): Promise<void>;
}

export type GatewayEndpoint = 'chat' | 'generate' | 'openai_chat';

/** Why a query failed (bounded set: a Prometheus label value). */
export type GatewayErrorKind =
  | 'bad_request'
  | 'body_too_large'
  | 'unauthorized'
  | 'unknown_model'
  | 'upstream_timeout'
  | 'upstream_unavailable'
  | 'upstream_error'
  | 'client_disconnect'
  | 'retrieval_failed'
  | 'internal';

/** One answered (or failed) query, as the gateway saw it; what observers receive. */
export interface GatewayQueryEvent {
  queryId: string;
  timestamp: Date;
  endpoint: GatewayEndpoint;
  /** The model name the client asked for, and the one that answered (after aliases). */
  requestedModel: string;
  model: string;
  /** The registry's version of the answering model (`base` before the first promotion), or null. */
  modelVersion: string | null;
  stream: boolean;
  /** HTTP status sent (or that would have been sent, for a disconnect: 499). */
  status: number;
  latencyMs: number;
  /** Time to the first generated token, measured by the gateway; null when none came. */
  ttftMs: number | null;
  /** Ollama's own counts (prompt_eval_count, eval_count). */
  tokensIn: number | null;
  tokensOut: number | null;
  /** tokensOut / generation seconds (eval_duration), null when unknown. */
  tokensPerSecond: number | null;
  routed: 'trained' | 'retrieval';
  tiersUsed: TierName[];
  retrievalMs: number;
  errorKind: GatewayErrorKind | null;
  error: string | null;
  /** The text of the question, for the query logger's category only; never a metric label. */
  question: string;
}

export interface FeedbackEvent {
  queryId: string;
  rating: 'thumbs_up' | 'thumbs_down';
  replaced: boolean;
}

/** Anything that wants to know about queries and feedback (Prometheus metrics, tests). */
export interface GatewayObserver {
  onQuery?(event: GatewayQueryEvent): void;
  onFeedback?(event: FeedbackEvent): void;
  /** Every HTTP response, by bounded route name (`/api/chat`, `/metrics`, `other`). */
  onResponse?(route: string, status: number): void;
}

/** A route the server does not own (metrics, dashboard): it answers the whole response. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface GatewayOptions {
  config: Web4Config;
  paths: StatePaths;
  /** Ollama's base URL, e.g. http://127.0.0.1:11434. */
  ollamaUrl: string;
  /** Override config.gateway.host / port (port 0: any free port). */
  host?: string;
  port?: number;
  /** Bearer token; required when host is not a loopback address. */
  token?: string;
  router?: QueryRouter;
  retriever?: ContextRetriever;
  observers?: GatewayObserver[];
  /** Extra GET routes by exact path: `/metrics`, `/`, `/api/dashboard`, … */
  routes?: Record<string, RouteHandler>;
  /**
   * Paths of `routes` answered to GET without the bearer token: pages that hold no figure (the
   * dashboard's shell, script and style; a browser cannot send the header when it opens a page).
   */
  publicRoutes?: readonly string[];
  logger?: Logger;
  clock?: Clock;
}

export interface RunningGateway {
  /** http://host:port */
  url: string;
  server: Server;
  /** Stop accepting, end open streams, flush the query logger. */
  close(): Promise<void>;
}
