import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderPDCA } from './renderPDCA.js';

/**
 * The bad inputs issue 4 lists, written into a journal dated `day`, so a demo or a manual check
 * of `web4 index daily` shows one reason per file. Each entry says what the indexer should do.
 */
export interface FaultFixture {
  path: string;
  expect: string;
}

export function writeFaultFixtures(out: string, day: string, opts: { large?: boolean } = {}): FaultFixture[] {
  const compact = day.replaceAll('-', '');
  const dir = join(out, 'faults');
  mkdirSync(dir, { recursive: true });
  const written: FaultFixture[] = [];
  const put = (name: string, data: string | Buffer, expect: string) => {
    const full = join(dir, name);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, data);
    written.push({ path: `faults/${name}`, expect });
  };
  const valid = (title: string) =>
    renderPDCA(
      { day, time: '1200', role: 'developer', slug: 'fixture', title, objective: 'A valid PDCA with an unusual file name', plan: 'Index it.', do: 'Nothing special inside.', check: 'The name is the test.', act: 'Keep it.' },
      { sha: '0000000', variant: 0 },
    );

  put(`${compact}-empty.pdca.md`, '', 'failed: empty file (0 bytes)');
  put(`${compact}-latin1.pdca.md`, Buffer.from(`# PDCA Cycle: Export from the old wiki\n\n**Date:** ${day}-UTC-1200\n\nGröße, café, ±5 °C\n`, 'latin1'), 'failed: invalid UTF-8 with the byte offset');
  put(`${compact}-binary.pdca.md`, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]), 'failed: binary content');
  put(`${day}-UTC-1200-Übergabe notes.md`, valid('Handover With Spaces and Umlauts in the Name'), 'indexed (space and non-ASCII name)');
  put(`${day}-UTC-1201-日本語-メモ.md`, valid('Non-Latin File Name'), 'indexed (non-Latin name)');
  put(`${compact}-unreadable.pdca.md`, valid('Unreadable File'), 'failed: permission denied (not when running as root: root reads anything)');
  chmodSync(join(dir, `${compact}-unreadable.pdca.md`), 0o000);
  if (opts.large) {
    // 50 MB of plausible text: the indexer must refuse it by size before reading it.
    const line = `Line of a runaway log pasted into a PDCA on ${day}, repeated until the file is far too large.\n`;
    put(`${compact}-huge.pdca.md`, line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)), 'failed: file too large');
  }
  symlinkSync('.', join(dir, 'loop'));
  written.push({ path: 'faults/loop', expect: 'reported: symlink loop, walked once' });
  symlinkSync('/etc/hostname', join(dir, `${compact}-outside.pdca.md`));
  written.push({ path: `faults/${compact}-outside.pdca.md`, expect: 'reported: symlink outside the root, not indexed' });
  symlinkSync('does-not-exist.md', join(dir, `${compact}-dangling.pdca.md`));
  written.push({ path: `faults/${compact}-dangling.pdca.md`, expect: 'reported: broken symlink' });
  return written;
}
