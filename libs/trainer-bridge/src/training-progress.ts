import cliProgress from 'cli-progress';
import type { ProgressEvent, StartEvent } from './trainer-events.js';

/** Where training progress is shown; the bridge calls these as events arrive. */
export interface TrainingProgress {
  start(event: StartEvent): void;
  update(event: ProgressEvent): void;
  stop(): void;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** A terminal bar with step, loss, tokens/s and the trainer's own ETA; only on a TTY. */
export class TrainingProgressBar implements TrainingProgress {
  private bar: cliProgress.SingleBar | undefined;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start(event: StartEvent): void {
    this.bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: 'training |{bar}| {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {etaText}',
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(event.steps, 0, { loss: '-', tps: '-', etaText: '?' });
  }

  update(event: ProgressEvent): void {
    this.bar?.update(event.step, {
      loss: event.loss === null ? 'nan' : event.loss.toFixed(4),
      tps: event.tokens_per_s.toFixed(0),
      etaText: formatSeconds(event.eta_s),
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** The bar when stderr is a terminal, otherwise nothing (logs carry the progress). */
export function defaultTrainingProgress(): TrainingProgress | undefined {
  return process.stderr.isTTY ? new TrainingProgressBar(process.stderr) : undefined;
}
