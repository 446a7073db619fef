import type { DailyIndexRun } from '../layer4/DailyIndexRun.js';

/**
 * `index daily [--date YYYY-MM-DD]`. Layer 5 only parses arguments and prints; the decision of
 * what counts as failure lives in DailyIndexRun so the scheduler and the CLI agree.
 */
export class IndexCLI {
  private run!: DailyIndexRun;

  constructor() {}

  init(run: DailyIndexRun): this {
    this.run = run;
    return this;
  }

  async main(argv: string[], today: string): Promise<number> {
    const at = argv.indexOf('--date');
    const day = at >= 0 ? argv[at + 1] : today;
    if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      console.error(`--date expects YYYY-MM-DD, got "${day ?? ''}"`);
      return 2;
    }
    const { report, exitCode } = await this.run.run(day);
    console.log(`📁 Found ${report.found} PDCAs for ${day}`);
    console.log(`✅ Indexed ${report.indexed}, skipped ${report.skipped} unchanged`);
    for (const o of report.outcomes.filter((x) => x.status === 'failed')) {
      console.log(`❌ ${o.path}: ${o.reason}`);
    }
    return exitCode;
  }
}
