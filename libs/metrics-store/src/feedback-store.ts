import { type Clock, InputError, systemClock } from '@web4/core';
import type { Compilable, Selectable } from 'kysely';
import { feedbackMigrations } from './migrations/feedback/index.js';
import { checkText } from './query-record.js';
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
    return new FeedbackStore(SqliteFile.open<FeedbackDatabase>(path, feedbackMigrations, options), options);
  }

  /** Validate everything first, then insert one row; returns its id. */
  add(input: FeedbackInput): number {
    const rating = parseRating(input.rating);
    const query = checkText(input.query, 'query', this.maxTextBytes);
    const response = checkText(input.response, 'response', this.maxTextBytes);
    if (query.trim() === '') throw new InputError('query is empty.', { hint: 'Pass the question the user asked with --query.', details: { field: 'query' } });
    const comment = input.comment === undefined || input.comment === null ? null : checkText(input.comment, 'comment', this.maxTextBytes);
    const timestamp = (input.timestamp ?? this.clock.now()).toISOString();
    try {
      const out = this.file.runNow(this.file.db.insertInto('feedback').values({ timestamp, query, response, rating, comment }));
      return Number(out.lastInsertRowid);
    } catch (error) {
      throw toStorageError(error, this.file.path, 'add feedback');
    }
  }

  /** Thumbs up share of all feedback with a timestamp in [from, to). */
  satisfaction(from: Date, to: Date): Satisfaction {
    const rows = this.read(
      this.file.db
        .selectFrom('feedback')
        .select(['rating', (eb) => eb.fn.countAll<number>().as('n')])
        .where('timestamp', '>=', from.toISOString())
        .where('timestamp', '<', to.toISOString())
        .groupBy('rating'),
    );
    const up = Number(rows.find((r) => r.rating === 'thumbs_up')?.n ?? 0);
    const down = Number(rows.find((r) => r.rating === 'thumbs_down')?.n ?? 0);
    const total = up + down;
    return { up, down, total, ratePct: total === 0 ? null : (100 * up) / total };
  }

  /** Entries in [from, to), newest first. */
  list(from: Date, to: Date, limit = 100): FeedbackEntry[] {
    return this.read(
      this.file.db
        .selectFrom('feedback')
        .selectAll()
        .where('timestamp', '>=', from.toISOString())
        .where('timestamp', '<', to.toISOString())
        .orderBy('timestamp', 'desc')
        .orderBy('id', 'desc')
        .limit(limit),
    );
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
