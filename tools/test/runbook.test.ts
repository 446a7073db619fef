import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbookCommands, runRunbookCommand } from './runbook.js';

const SAMPLE = [
  '# A runbook',
  '',
  '```bash',
  '# a comment line is skipped',
  'echo hello',
  'exit 3   # exit 3',
  'printf "%s" \\',
  '  continued',
  "cat > out.txt <<'EOF'",
  'line one # exit 9 is text here',
  'EOF',
  '```',
  '',
  '```js',
  'not bash',
  '```',
  '<!-- runbook: skip -->',
  '```bash',
  'rm -rf /nowhere',
  '```',
].join('\n');

describe('runbook extraction', () => {
  it('splits bash blocks into commands with their expected exit codes', () => {
    const commands = parseRunbookCommands(SAMPLE);
    expect(commands).toEqual([
      { command: 'echo hello', expectedExit: 0, line: 5 },
      { command: 'exit 3', expectedExit: 3, line: 6 },
      { command: 'printf "%s" \\\n  continued', expectedExit: 0, line: 7 },
      { command: "cat > out.txt <<'EOF'\nline one # exit 9 is text here\nEOF", expectedExit: 0, line: 9 },
    ]);
  });

  it('runs blocks inside list items too, without their indentation (and skips a marked one)', () => {
    const md = ['1. First:', '', '   ```bash', '   echo one   # exit 4', "   cat <<'EOF'", '   body', '   EOF', '   ```', '   <!-- runbook: skip -->', '   ```bash', '   echo never', '   ```'].join('\n');
    expect(parseRunbookCommands(md)).toEqual([
      { command: 'echo one', expectedExit: 4, line: 4 },
      { command: "cat <<'EOF'\nbody\nEOF", expectedExit: 0, line: 5 },
    ]);
  });

  it('rejects an unclosed heredoc', () => {
    expect(() => parseRunbookCommands("```bash\ncat <<EOF\nno end\n```")).toThrow(/heredoc EOF is never closed/);
  });

  it('runs commands with bash and reports their exit codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runbook-'));
    try {
      const results = [];
      for (const c of parseRunbookCommands(SAMPLE)) results.push(await runRunbookCommand(c.command, { cwd: dir }));
      expect(results.map((r) => r.exitCode)).toEqual([0, 3, 0, 0]);
      expect(results[0]!.stdout).toBe('hello\n');
      expect(results[2]!.stdout).toBe('continued');
      const check = await runRunbookCommand('cat out.txt', { cwd: dir });
      expect(check.stdout).toBe('line one # exit 9 is text here\n');
      expect((await runRunbookCommand('false | true', { cwd: dir })).exitCode).toBe(1); // pipefail
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
