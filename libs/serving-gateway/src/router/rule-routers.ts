import type { QueryRouter, RouteDecision, TierName } from '../types.js';
import { GATEWAY_TIERS } from './routing-examples.js';

/**
 * `gateway.routing.mode: always | never`: every query retrieves from every allowed tier, or none
 * does (the model alone). No model, no examples, no latency.
 */
export class FixedRouter implements QueryRouter {
  private readonly decision: RouteDecision;

  constructor(mode: 'always' | 'never', allowedTiers: readonly TierName[] = GATEWAY_TIERS) {
    const tiers = GATEWAY_TIERS.filter((t) => allowedTiers.includes(t));
    this.decision =
      mode === 'always' && tiers.length > 0
        ? { retrieve: true, tiers, confidence: 1, reason: 'gateway.routing.mode = always' }
        : { retrieve: false, tiers: [], confidence: 1, reason: mode === 'never' ? 'gateway.routing.mode = never' : 'gateway.routing.mode = always, but no tiers are allowed' };
  }

  async decide(_query: string, signal?: AbortSignal): Promise<RouteDecision> {
    signal?.throwIfAborted();
    return { ...this.decision, tiers: [...this.decision.tiers] };
  }
}

// The baseline's vocabulary: words that mark a question as about this team's own work, written
// from the example collections' subjects (not from the labelled questions).
const TEAM = /\b(we|our|us|ours|team|team's|pdcas?|journal|sessions?|sprint|standup|yesterday|today|last (?:week|night|sprint)|remind|runbook|canar(?:y|ies)|nightly|evening loop|daily buffer|trainai|chroma|n_results|web4)\b|\b\d{4}-\d{2}-\d{2}\b/i;
/** A CamelCase identifier: one of our components (OverlapChunker, HotPDCACache). Case matters. */
const IDENTIFIER = /\b[A-Z][a-z]+(?:[A-Z][A-Za-z0-9]*)+\b/;
const HISTORY = /\b(did|decided?|decision|happened|went|why (?:did|was|were)|remind|yesterday|last (?:week|night|sprint)|when did|who|outcome|conclu\w*|lessons?|learn(?:ed|t)|incident|review|notes?|\d{4}-\d{2}-\d{2})\b/i;
const TOOLS = /\b(component|class|interface|method|code|command|cli|run|roll ?back|index|test|make|show me|where is|implement|refactor|config)\b/i;
const TRAINAI = /\b(process|convention|rule|guidance|protocol|template|cmm\d?|layer|pdca|how (?:do|should|are) we|supposed|standards?|topic|framework|workflow)\b/i;
const GRAPH = /\b(linked|link|related|relate|connected|depend\w*|chain|before|after|led|touched|affected|which pdcas|everything)\b/i;

/**
 * The baseline the trained router must beat: fixed keyword rules. A question retrieves when it
 * names the team's own things (we/our, PDCAs, a CamelCase component, a date, the journal); its
 * tiers are those whose cue words it contains, history when none does.
 */
export class KeywordRouter implements QueryRouter {
  constructor(private readonly allowedTiers: readonly TierName[] = GATEWAY_TIERS) {}

  decide(query: string): Promise<RouteDecision> {
    return Promise.resolve(this.decideText(query));
  }

  decideText(query: string): RouteDecision {
    if (!TEAM.test(query) && !IDENTIFIER.test(query)) return { retrieve: false, tiers: [], confidence: 0.5, reason: 'keyword rules: no team term' };
    const cues: Record<TierName, RegExp> = { history: HISTORY, tools: TOOLS, trainai: TRAINAI, graph: GRAPH };
    let tiers = GATEWAY_TIERS.filter((t) => this.allowedTiers.includes(t) && (cues[t].test(query) || (t === 'tools' && IDENTIFIER.test(query))));
    if (tiers.length === 0) tiers = this.allowedTiers.includes('history') ? ['history'] : GATEWAY_TIERS.filter((t) => this.allowedTiers.includes(t)).slice(0, 1);
    if (tiers.length === 0) return { retrieve: false, tiers: [], confidence: 0.5, reason: 'keyword rules: no tiers allowed' };
    return { retrieve: true, tiers, confidence: 0.5, reason: `keyword rules: ${tiers.join(', ')}` };
  }
}
