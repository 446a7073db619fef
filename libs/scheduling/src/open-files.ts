import { readdirSync, readlinkSync } from 'node:fs';

/**
 * Files under `dir` that some process has open, read from /proc/<pid>/fd (Linux). A job's log
 * is open for as long as the job runs (cron's `>>` redirection, the CLI's own log file), so an
 * open file is a run in progress. Only processes we may inspect are seen: the scheduler runs as
 * the user whose jobs write these logs. Undefined where /proc does not exist (not Linux).
 */
export function openFilesUnder(dir: string): Set<string> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const open = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(prefix)) open.add(target);
      } catch {
        // closed meanwhile
      }
    }
  }
  return open;
}
