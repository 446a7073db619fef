import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IndexingReport } from './indexing-report.js';

/**
 * Append a run to the indexing log (`logs/daily_indexing.log`): one summary line, then one line
 * per failed PDCA with its reason, so `grep FAILED` answers "what was missed and why", and one
 * per folder link not followed (`skipped`). Aliases and ignored links are counts on the summary line.
 */
export function appendIndexingLog(file: string, what: string, reports: readonly IndexingReport[], at: Date): void {
  mkdirSync(dirname(file), { recursive: true });
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(
      `${at.toISOString()} ${what} ${r.collection}: found ${r.found}, indexed ${r.indexed}, unchanged ${r.unchanged}, failed ${r.failed}, skipped ${r.skipped}, aliases ${r.aliases}, ignored ${r.ignored}, chunks ${r.chunks}, embedded ${r.embedded}, ${(r.durationMs / 1000).toFixed(1)} s`,
    );
    for (const f of r.files) {
      if (f.status === 'failed') lines.push(`${at.toISOString()}   FAILED ${f.path}: [${f.kind}] ${f.reason}`);
      else if (f.status === 'skipped') lines.push(`${at.toISOString()}   skipped ${f.path}: [${f.kind}] ${f.reason}`);
    }
  }
  appendFileSync(file, lines.join('\n') + '\n');
}
