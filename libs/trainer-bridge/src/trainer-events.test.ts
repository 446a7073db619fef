import { describe, expect, it } from 'vitest';
import { errorFromEvent } from './trainer-process.js';
import { parseEvaluatorEvent, parseExporterEvent, parseTrainerEvent } from './trainer-events.js';
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

describe('parseEvaluatorEvent / parseExporterEvent', () => {
  it('reads the evaluate protocol, null losses included', () => {
    expect(parseEvaluatorEvent('{"event":"start","models":["production","candidate"],"sets":["night"],"device":"cpu","dtype":"float32"}')).toMatchObject({ models: ['production', 'candidate'] });
    const ev = parseEvaluatorEvent('{"event":"eval","model":"candidate","set":"retention","loss":null,"tokens":0,"samples":0,"tokens_per_s":0,"runtime_s":0.001}');
    expect(ev).toMatchObject({ event: 'eval', loss: null, tokens: 0 });
    const done = parseEvaluatorEvent('{"event":"done","results":{"candidate":{"night":{"loss":1.25,"tokens":40,"samples":3},"retention":{"loss":null,"tokens":0,"samples":0}}},"runtime_s":2.5}');
    expect(done?.event === 'done' && done.results.candidate!.night!.loss).toBe(1.25);
    expect(parseEvaluatorEvent('{"event":"error","kind":"bad_input","message":"m","hint":null,"exit_code":2}')).toMatchObject({ kind: 'bad_input' });
  });
  it('refuses what does not fit the evaluate protocol', () => {
    expect(parseEvaluatorEvent('{"event":"eval","model":"c","set":"n","loss":"1.2","tokens":1,"samples":1,"tokens_per_s":1,"runtime_s":1}')).toBeUndefined();
    expect(parseEvaluatorEvent('{"event":"done","results":{"c":{"n":{"loss":1}}},"runtime_s":1}')).toBeUndefined();
    // a training event is not an evaluation event
    expect(parseEvaluatorEvent('{"event":"progress","step":2,"total":8,"loss":1.5,"tokens_per_s":99.5,"eta_s":12}')).toBeUndefined();
  });
  it('reads the export protocol', () => {
    expect(parseExporterEvent('{"event":"start","adapter":"/a","base_model":"/b.gguf","out":"/o","serve_format":"gguf","device":"cpu","dtype":"float32"}')).toMatchObject({ serve_format: 'gguf' });
    expect(parseExporterEvent('{"event":"done","model_dir":"/o","model_format":"safetensors","bytes":123,"merge_s":0.1,"runtime_s":3}')).toMatchObject({ bytes: 123 });
    expect(parseExporterEvent('{"event":"done","model_dir":"/o","model_format":"onnx","bytes":123,"runtime_s":3}')).toBeUndefined();
    expect(parseExporterEvent('{"event":"done","model_dir":"/o","model_format":"gguf","runtime_s":3}')).toBeUndefined();
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
