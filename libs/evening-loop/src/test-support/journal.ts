import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPdca {
  day: string;
  hhmm: string;
  slug: string;
  role?: string;
  objective: string;
  /** A few sentences per section; the generator adds the header and the PDCA sections. */
  plan: string;
  do: string;
  check: string;
  act: string;
}

/**
 * Write PDCAs the way real journals hold them (DESIGN.md "PDCA files in the wild"): session
 * folders `YYYY-MM-DD-HHMM-topic/pdca/role/<role>/YYYY-MM-DD-UTC-HHMM-slug.md`, a header of bold
 * key/value lines with emoji, a Previous PDCA link, and PLAN / DO / CHECK / ACT sections with
 * emoji headings. Returns the file paths.
 */
export function writeJournal(root: string, pdcas: readonly TestPdca[]): string[] {
  const files: string[] = [];
  let previous: string | undefined;
  for (const p of pdcas) {
    const role = p.role ?? 'developer';
    const dir = join(root, `${p.day}-0900-session`, 'pdca', 'role', role);
    mkdirSync(dir, { recursive: true });
    const name = `${p.day}-UTC-${p.hhmm}-${p.slug}.md`;
    const title = p.objective.replace(/\.$/, '');
    const text = [
      `# 📋 **PDCA Cycle: ${title}**`,
      '',
      `**🗓️ Date:** ${p.day}-UTC-${p.hhmm}`,
      `**🎯 Objective:** ${p.objective}`,
      `**👤 Role:** ${role[0]!.toUpperCase()}${role.slice(1)}`,
      `**🚨 Issues:** ${p.slug.replace(/-/g, ' ')}`,
      `**📎 Previous PDCA:** ${previous ? `[${previous}](../../../../${previous})` : 'none'}`,
      '',
      '---',
      '',
      '## **📋 PLAN**',
      p.plan,
      '',
      '## **🔧 DO**',
      p.do,
      '',
      '## **✅ CHECK**',
      p.check,
      '',
      '## **🎯 ACT**',
      p.act,
      '',
    ].join('\n');
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
    previous = `${p.day}-0900-session/pdca/role/${role}/${name}`;
  }
  return files;
}

/** A small journal of `days` days with `perDay` PDCAs each, dated from `first`. */
export function smallJournal(first: string, days: number, perDay: number): TestPdca[] {
  const topics = [
    ['lock-file-stale-pid', 'Take over a lock whose holder died', 'The nightly run found a lock of a process that no longer exists.', 'Compared the pid and its start time before taking the lock over.', 'Two runs started together: one ran, one exited with code 75.', 'Keep the start-time check; document exit code 75.'],
    ['archive-before-clear', 'Archive the buffer before clearing it', 'Buffer items were deleted before the archive was on disk.', 'Wrote the archive to a temporary file, synced it and renamed it.', 'Killed the process during the archive: no half file remained.', 'Clear only after archive and history are verified.'],
    ['canary-timeouts', 'Make canary latency limits loose', 'Canaries failed on a busy machine because of tight limits.', 'Raised the limits to 120 seconds and ran the cases in parallel.', 'Twenty cases passed in 40 seconds under load.', 'Measure the limits on the machine that runs the night.'],
    ['retention-gate', 'Guard against forgetting with a retention set', 'A candidate forgot older PDCAs while learning the new ones.', 'Measured the loss on a fixed set of older PDCAs for both models.', 'The candidate stayed within two percent of production.', 'Keep the set fixed and seeded across nights.'],
    ['ollama-tags', 'Move Ollama tags instead of copying weights', 'Promotion copied gigabytes for every night.', 'Registered each version once and copied the tag to it.', 'The copy took milliseconds and shared the blobs.', 'Never overwrite a version; move tags only.'],
    ['replay-share', 'Replay older PDCAs every night', 'The adapter drifted towards the newest documents.', 'Mixed a fifth of older PDCAs into each night.', 'Retention loss fell back to the level of production.', 'Record the replayed PDCAs in the manifest.'],
  ];
  const out: TestPdca[] = [];
  const start = Date.parse(`${first}T00:00:00Z`);
  for (let d = 0; d < days; d++) {
    const day = new Date(start + d * 86_400_000).toISOString().slice(0, 10);
    for (let k = 0; k < perDay; k++) {
      const t = topics[(d * perDay + k) % topics.length]!;
      out.push({ day, hhmm: `${10 + k}${d % 2 ? '30' : '15'}`, slug: `${t[0]}-${d}${k}`, objective: `${t[1]} (day ${d + 1}, item ${k + 1}).`, plan: t[2]!, do: t[3]!, check: t[4]!, act: t[5]! });
    }
  }
  return out;
}
