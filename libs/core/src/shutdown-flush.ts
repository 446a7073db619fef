/**
 * Flush open writers when the process ends: on a normal exit (`exit` runs synchronous code only,
 * which is why the writers are synchronous), and on SIGINT/SIGTERM. A signal handler replaces
 * Node's default "terminate", so after flushing we re-raise the signal when nobody else listens:
 * the process still dies of that signal, as its parent expects.
 */
export interface Flushable {
  flushForExit(): void;
  /** Named in the message when the exit flush fails. */
  readonly exitName?: string;
}

const open = new Set<Flushable>();
let installed = false;

function flushAll(): void {
  for (const writer of open) {
    try {
      writer.flushForExit();
    } catch (error) {
      process.stderr.write(`web4: could not flush ${writer.exitName ?? 'a batched writer'} at exit: ${(error as Error).message}\n`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  flushAll();
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

export function registerForExit(writer: Flushable): void {
  open.add(writer);
  if (installed) return;
  installed = true;
  process.on('exit', flushAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function unregisterForExit(writer: Flushable): void {
  open.delete(writer);
  if (open.size > 0 || !installed) return;
  installed = false;
  process.removeListener('exit', flushAll);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}
