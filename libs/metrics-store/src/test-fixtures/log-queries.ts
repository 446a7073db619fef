/**
 * A separate process that logs queries, for the tests that need real processes (several
 * writers at once, flush at exit / on a signal, a user without write permission).
 *   log-queries.ts DB COUNT WORKER MODE
 * MODE: close (log, close, exit 0) | exit (log, process.exit(0) without close) |
 *       wait (log, print "logged", then idle until a signal arrives) |
 *       own-handler (like wait, but the program handles SIGTERM itself and exits 0 a little later)
 * Exits 3 with the error's message on stderr when the store refuses (e.g. read-only directory).
 */
import { StorageError } from '@web4/core';
import { QueryLogger } from '../query-logger.js';

const [db, countText, worker, mode] = process.argv.slice(2);
const count = Number(countText);
try {
  const logger = QueryLogger.open(db!, { flushIntervalMs: 60_000 });
  const base = Date.parse('2026-11-20T00:00:00Z');
  for (let i = 0; i < count; i++) {
    logger.log({
      timestamp: new Date(base + (i % 5) * 86_400_000 + i),
      queryType: `worker-${worker}`,
      latencyMs: 10 + (i % 1000),
      usedHistory: i % 7 === 0,
      usedTools: i % 3 === 0,
      tokensGenerated: i,
    });
  }
  if (mode === 'close') {
    logger.close();
  } else if (mode === 'exit') {
    process.exit(0);
  } else {
    if (mode === 'own-handler') process.on('SIGTERM', () => setTimeout(() => process.exit(0), 100));
    process.stdout.write('logged\n');
    setInterval(() => {}, 1_000);
  }
} catch (error) {
  process.stderr.write(`${error instanceof StorageError ? error.toUserString() : String(error)}\n`);
  process.exit(error instanceof StorageError ? 3 : 1);
}
