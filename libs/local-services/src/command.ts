import { spawn } from 'node:child_process';
import { ServiceError } from '@web4/core';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a program with an argument array (never a shell string) and collect its output.
 * A missing program becomes a ServiceError that names it and what to install.
 */
export function runCommand(
  program: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; installHint?: string; onLine?: (line: string) => void } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const feed = (chunk: Buffer, into: 'out' | 'err') => {
      const text = chunk.toString('utf8');
      if (into === 'out') stdout += text;
      else stderr += text;
      if (options.onLine) for (const line of text.split('\n')) if (line.trim()) options.onLine(line);
    };
    child.stdout.on('data', (c: Buffer) => feed(c, 'out'));
    child.stderr.on('data', (c: Buffer) => feed(c, 'err'));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        reject(new ServiceError(`${program} is not installed (needed to run \`${program} ${args.join(' ')}\`).`, {
          hint: options.installHint ?? `install ${program} and make sure it is on PATH`,
          cause: error,
        }));
      } else reject(error);
    });
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}

/** Like runCommand, but a non-zero exit is a ServiceError carrying the tail of stderr. */
export async function runChecked(
  program: string,
  args: string[],
  what: string,
  options: Parameters<typeof runCommand>[2] & { hint?: string } = {},
): Promise<CommandResult> {
  const result = await runCommand(program, args, options);
  if (result.code !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    throw new ServiceError(`${what} failed (exit ${result.code}): ${program} ${args.join(' ')}\n${tail}`, {
      hint: options.hint ?? 'read the output above; run the same command by hand to see all of it',
    });
  }
  return result;
}
