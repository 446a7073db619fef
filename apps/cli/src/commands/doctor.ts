import { EXIT_CODES } from '@web4/core';
import { repoRoot, runDoctor } from '@web4/local-services';
import type { CommandModule } from 'yargs';
import { type GlobalArgs, createContext, runCommand } from '../context.js';

export const doctorCommand: CommandModule<object, GlobalArgs> = {
  command: 'doctor',
  describe: 'Check Node, the Python env, Ollama, Chroma, model assets, disk and GPU; print the fix for each problem (exit 1 when something required is missing)',
  handler: (args) =>
    runCommand(args, async () => {
      const ctx = createContext(args);
      const report = await runDoctor(ctx.config, ctx.paths, repoRoot());
      for (const c of report.checks) {
        const mark = c.status === 'ok' ? '✓' : c.status === 'warn' ? '⚠️' : '✗';
        ctx.say(`${mark} ${c.name.padEnd(21)} ${c.detail}`);
        if (c.fix) ctx.say(`  ${' '.repeat(21)} → ${c.fix}`);
      }
      ctx.say(report.ok ? '\nAll required checks passed.' : '\nSomething required is missing: run the commands marked →.');
      ctx.emit(report);
      return report.ok ? EXIT_CODES.ok : EXIT_CODES.checkFailed;
    }),
};
