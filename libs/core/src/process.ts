/**
 * True when a process with this pid exists (signal 0 reaches it; EPERM means it exists but
 * belongs to another user). Callers that must rule out a reused pid compare more (the program,
 * its start time).
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
