import { appendFile } from 'node:fs/promises';
import type { PDCAIndexer, IndexReport } from '../layer3/PDCAIndexer.interface.js';

/**
 * The evening's indexing step: index one day, append a line to the indexing log and decide the
 * exit status. It fails only when files were found and none could be indexed — a single broken
 * PDCA is reported, not fatal, because the rest of the night still has work to do.
 */
export class DailyIndexRun {
  private indexer!: PDCAIndexer;
  private logFile = 'logs/daily_indexing.log';

  constructor() {}

  init(indexer: PDCAIndexer, logFile?: string): this {
    this.indexer = indexer;
    if (logFile) this.logFile = logFile;
    return this;
  }

  async run(day: string): Promise<{ report: IndexReport; exitCode: number }> {
    const report = await this.indexer.init().then((i) => i.indexDay(day));
    const line = `${new Date().toISOString()} day=${day} found=${report.found} indexed=${report.indexed} skipped=${report.skipped} failed=${report.failed} ms=${Math.round(report.durationMs)}\n`;
    await appendFile(this.logFile, line);
    const allFailed = report.found > 0 && report.indexed + report.skipped === 0;
    return { report, exitCode: allFailed ? 3 : 0 };
  }
}
