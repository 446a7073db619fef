import { describe, expect, it } from 'vitest';
import { errorFromEvent } from './trainer-process.js';
import { parseTrainerEvent } from './trainer-events.js';
import { TrainerCancelledError, TrainerCrashError, TrainerInputError, TrainerOutOfMemoryError, TrainerOutputError } from './trainer-errors.js';
import { formatSeconds } from './training-progress.js';

describe('parseTrainerEvent', () => {
  it('reads each protocol event', () => {
    expect(parseTrainerEvent('{"event":"progress","step":2,"total":8,"loss":1.5,"tokens_per_s":99.5,"eta_s":12}')).toMatchObject({ event: 'progress', step: 2 });
    expect(parseTrainerEvent('{"event":"progress","step":2,"total":8,"loss":null,"tokens_per_s":1,"eta_s":1}')).toMatchObject({ loss: null });
    expect(parseTrainerEvent('{"event":"error","kind":"oom","message":"m","hint":"h","exit_code":5}')).toMatchObject({ kind: 'oom' });
  });
  it('ignores what is not an event', () => {
    expect(parseTrainerEvent('Loading weights: 100%')).toBeUndefined();
    expect(parseTrainerEvent('{"event":"progress"}')).toBeUndefined();
    expect(parseTrainerEvent('{"event":"other"}')).toBeUndefined();
    expect(parseTrainerEvent('{broken')).toBeUndefined();
  });
});

describe('errorFromEvent', () => {
  it('maps every kind to its own error class and exit code', () => {
    const make = (kind: string) => errorFromEvent({ event: 'error', kind, message: `${kind} happened`, hint: 'do x' }, 'tail');
    expect(make('bad_input')).toBeInstanceOf(TrainerInputError);
    expect(make('oom')).toBeInstanceOf(TrainerOutOfMemoryError);
    expect(make('io')).toBeInstanceOf(TrainerOutputError);
    expect(make('interrupted')).toBeInstanceOf(TrainerCancelledError);
    expect(make('internal')).toBeInstanceOf(TrainerCrashError);
    expect(make('bad_input').exitCode).toBe(2);
    expect(make('interrupted').exitCode).toBe(130);
    expect(make('oom').hint).toBe('do x');
    expect(make('oom').stderrTail).toBe('tail');
  });
});

describe('formatSeconds', () => {
  it('reads like an ETA', () => {
    expect(formatSeconds(5)).toBe('5s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(3725)).toBe('1h02m');
    expect(formatSeconds(Number.NaN)).toBe('?');
  });
});
