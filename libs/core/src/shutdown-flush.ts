/**
 * Flush open writers when the process ends: on a normal exit (`exit` runs synchronous code only,
 * which is why the writers are synchronous), and on SIGINT/SIGTERM. A signal handler replaces
 * Node's default "terminate", so after flushing we re-raise the signal when nobody else listens:
 * the process still dies of that signal, as its parent expects.
 */
export interface Flushable {
  flushForExit(): void;
  /**
   * A writer whose writes are asynchronous (PostgreSQL) flushes here instead: on SIGINT/SIGTERM
   * (the signal is re-raised once it settled, or after SIGNAL_FLUSH_MS) and on `beforeExit` (the
   * event loop ran dry with rows still queued). On `exit` only `flushForExit` runs, which for such
   * a writer reports the rows it cannot write any more.
   */
  flushForExitAsync?(): Promise<void>;
  /** Whether it has asynchronous writes (then flushForExitAsync is used wherever it can be awaited). */
  readonly async?: boolean;
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

/** The longest a signal waits for the asynchronous writers before the process dies of it. */
export const SIGNAL_FLUSH_MS = 5_000;

function flushAllAsync(): Promise<unknown> {
  const writes: Promise<void>[] = [];
  for (const writer of open) {
    if (!writer.async || !writer.flushForExitAsync) continue;
    writes.push(
      writer.flushForExitAsync().catch((error: unknown) => {
        process.stderr.write(`web4: could not flush ${writer.exitName ?? 'a batched writer'}: ${(error as Error).message}\n`);
      }),
    );
  }
  return Promise.all(writes);
}

function flushAllSync(): void {
  for (const writer of open) {
    if (writer.async) continue;
    try {
      writer.flushForExit();
    } catch (error) {
      process.stderr.write(`web4: could not flush ${writer.exitName ?? 'a batched writer'} at exit: ${(error as Error).message}\n`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  flushAllSync();
  const reraise = (): void => {
    if (process.listenerCount(signal) === 1) {
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    }
  };
  if (![...open].some((w) => w.async)) {
    reraise();
    return;
  }
  const timeout = new Promise((resolve) => setTimeout(resolve, SIGNAL_FLUSH_MS).unref());
  void Promise.race([flushAllAsync(), timeout]).then(reraise);
}

// beforeExit fires each time the loop runs dry; a flush that failed (server down) is not retried
// from here, or a process whose database is gone would never end.
let beforeExitFailed = false;
function onBeforeExit(): void {
  if (beforeExitFailed || ![...open].some((w) => w.async)) return;
  void Promise.all(
    [...open]
      .filter((w) => w.async && w.flushForExitAsync)
      .map((w) =>
        w.flushForExitAsync!().catch((error: unknown) => {
          beforeExitFailed = true;
          process.stderr.write(`web4: could not flush ${w.exitName ?? 'a batched writer'} before exit: ${(error as Error).message}\n`);
        }),
      ),
  );
}

export function registerForExit(writer: Flushable): void {
  open.add(writer);
  if (installed) return;
  installed = true;
  process.on('exit', flushAll);
  process.on('beforeExit', onBeforeExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function unregisterForExit(writer: Flushable): void {
  open.delete(writer);
  if (open.size > 0 || !installed) return;
  installed = false;
  process.removeListener('exit', flushAll);
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
}
