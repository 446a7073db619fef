import { type Clock, InputError, systemClock } from '@web4/core';
import type { Compilable, Selectable } from 'kysely';
import { feedbackByQueryIdQuery, feedbackListQuery, insertFeedbackQuery, updateFeedbackQuery } from './feedback-queries.js';
import { checkedFeedback, checkedRating } from './feedback-input.js';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { satisfactionOf, satisfactionQuery } from './report-queries.js';
import type { FeedbackDatabase, FeedbackTable, Rating } from './schema/feedback-database.js';
import { SqliteFile, type SqliteFileOptions } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';

export interface FeedbackInput {
  query: string;
  response: string;
  /** `up`/`down` (as typed on the command line) or the stored `thumbs_up`/`thumbs_down`. */
  rating: string;
  comment?: string | null;
  timestamp?: Date;
}

/** A rating of one query the gateway answered, found by its query id. */
export interface QueryRatingInput {
  queryId: string;
  /** `up`/`down`, `thumbs_up`/`thumbs_down`, 👍/👎. */
  rating: string;
  comment?: string | null;
  /** The question and answer, when the caller has them ('' is stored when not). */
  query?: string | null;
  response?: string | null;
  timestamp?: Date;
}

export type FeedbackEntry = Selectable<FeedbackTable>;

export interface Satisfaction {
  up: number;
  down: number;
  total: number;
  /** 0-100, null when there is no feedback in the window. */
  ratePct: number | null;
}

/** Accept up/down, thumbs_up/thumbs_down, 👍/👎; anything else is an InputError. */
export function parseRating(value: unknown): Rating {
  const text = String(value ?? '').trim().toLowerCase();
  if (text === 'up' || text === 'thumbs_up' || text === '👍') return 'thumbs_up';
  if (text === 'down' || text === 'thumbs_down' || text === '👎') return 'thumbs_down';
  throw new InputError(`Rating "${String(value)}" is not one of up, down.`, {
    hint: 'Use --rating up (thumbs up) or --rating down (thumbs down).',
    details: { field: 'rating' },
  });
}

export interface FeedbackStoreOptions extends SqliteFileOptions {
  clock?: Clock;
  maxTextBytes?: number;
}

/** `logs/user_feedback.db`: users' thumbs up/down on answers, and the satisfaction rate. */
export class FeedbackStore {
  private readonly clock: Clock;
  private readonly maxTextBytes: number;

  private constructor(
    readonly file: SqliteFile<FeedbackDatabase>,
    options: FeedbackStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxTextBytes = options.maxTextBytes ?? 1_000_000;
  }

  static open(path: string, options: FeedbackStoreOptions = {}): FeedbackStore {
    return new FeedbackStore(SqliteFile.open<FeedbackDatabase>(path, feedbackMigrations, { setting: 'paths.feedbackDb', ...options }), options);
  }

  /** Validate everything first, then insert one row; returns its id. */
  add(input: FeedbackInput): number {
    const { timestamp, query, response, rating, comment } = checkedFeedback(input, this.maxTextBytes, this.clock);
    try {
      const out = this.file.runNow(insertFeedbackQuery(this.file.db, { timestamp, query, response, rating, comment }));
      return Number(out.lastInsertRowid);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'add feedback');
    }
  }

  /**
   * Rate the query with this id: one row per id. The first call inserts it; a later call
   * replaces its rating, comment and timestamp (and its query/response texts when given), in
   * one write transaction, so concurrent calls for the same id still leave one row.
   */
  rateQuery(input: QueryRatingInput): { id: number; replaced: boolean } {
    const { queryId, rating, comment, query, response, timestamp } = checkedRating(input, this.maxTextBytes, this.clock);
    const db = this.file.db;
    try {
      return this.file.writeTransaction(() => {
        const existing = this.file.allNow(feedbackByQueryIdQuery(db, queryId))[0];
        if (existing) {
          this.file.runNow(updateFeedbackQuery(db, existing.id, { rating, comment, timestamp, query, response }));
          return { id: existing.id, replaced: true };
        }
        const out = this.file.runNow(insertFeedbackQuery(db, { timestamp, query: query ?? '', response: response ?? '', rating, comment, query_id: queryId }));
        return { id: Number(out.lastInsertRowid), replaced: false };
      });
    } catch (error) {
      throw toStorageError(error, this.file.path, `rate query ${queryId}`);
    }
  }

  /** The rating row of a query id, or undefined. */
  ratingOf(queryId: string): FeedbackEntry | undefined {
    return this.read(this.file.db.selectFrom('feedback').selectAll().where('query_id', '=', queryId))[0];
  }

  /**
   * Thumbs up share of all feedback with a timestamp in [from, to). Each query id has one row
   * (rateQuery replaces), so a query rated twice counts once, with its latest rating.
   */
  satisfaction(from: Date, to: Date): Satisfaction {
    return satisfactionOf(this.read(satisfactionQuery(this.file.db, from, to)));
  }

  /** Entries in [from, to), newest first. */
  list(from: Date, to: Date, limit = 100): FeedbackEntry[] {
    return this.read(feedbackListQuery(this.file.db, from, to, limit));
  }

  close(): void {
    this.file.close();
  }

  private read<R>(query: Compilable<R>): R[] {
    try {
      return this.file.allNow(query);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'read feedback');
    }
  }
}
