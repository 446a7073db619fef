import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Runbooks are tested by running them. Every ```bash block of a runbook is split into commands;
 * a test runs each command as written (bash, in order, one shared environment) and compares
 * its exit code with the one the runbook documents.
 *
 * Conventions a runbook follows:
 * - One command per line; a line ending in `\` continues on the next; a heredoc (`<<'EOF'` …
 *   `EOF`) belongs to the command that opens it.
 * - The expected exit code is a trailing `# exit N` on the command's first line; default 0.
 * - Lines that are only a comment are skipped.
 * - `<!-- runbook: skip -->` on the line before a block leaves that block out (for commands that
 *   need something a test cannot have, e.g. production data; say so in the text).
 */
export interface RunbookCommand {
  /** The command text as bash receives it (continuations and heredoc included). */
  command: string;
  expectedExit: number;
  /** 1-based line of the command in the markdown file. */
  line: number;
}

// Fences may be indented (a block inside a list item); the block's lines lose that indentation.
const FENCE_OPEN = /^( *)```bash\s*$/;
const FENCE_CLOSE = /^ *```\s*$/;
const EXIT_NOTE = /\s+#\s*exit\s+(\d+)\s*$/;
const HEREDOC = /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/;

export function extractRunbookCommands(markdownPath: string): RunbookCommand[] {
  return parseRunbookCommands(readFileSync(markdownPath, 'utf8'));
}

export function parseRunbookCommands(markdown: string): RunbookCommand[] {
  const lines = markdown.split(/\r?\n/);
  const commands: RunbookCommand[] = [];
  let i = 0;
  while (i < lines.length) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) {
      i++;
      continue;
    }
    const indent = open[1]!.length;
    const dedent = (line: string) => (line.slice(0, indent).trim() === '' ? line.slice(indent) : line);
    const skip = i > 0 && /<!--\s*runbook:\s*skip\s*-->/.test(lines[i - 1]!);
    i++;
    while (i < lines.length && !FENCE_CLOSE.test(lines[i]!)) {
      const first = dedent(lines[i]!);
      const lineNo = i + 1;
      i++;
      if (first.trim() === '' || first.trim().startsWith('#')) continue;
      let expectedExit = 0;
      let text = first;
      const note = EXIT_NOTE.exec(first);
      if (note) {
        expectedExit = Number(note[1]);
        text = first.slice(0, note.index);
      }
      const parts = [text];
      while (parts[parts.length - 1]!.endsWith('\\') && i < lines.length && !FENCE_CLOSE.test(lines[i]!)) parts.push(dedent(lines[i++]!));
      const heredoc = HEREDOC.exec(parts.join('\n'));
      if (heredoc) {
        const terminator = heredoc[2]!;
        while (i < lines.length && lines[i]!.trim() !== terminator) parts.push(dedent(lines[i++]!));
        if (i >= lines.length) throw new Error(`Runbook line ${lineNo}: heredoc ${terminator} is never closed.`);
        parts.push(dedent(lines[i++]!));
      }
      if (!skip) commands.push({ command: parts.join('\n'), expectedExit, line: lineNo });
    }
    i++; // closing fence
  }
  return commands;
}

export interface CommandRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Run one runbook command with bash in `cwd`, with `env` added to the environment. */
export function runRunbookCommand(command: string, options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}
