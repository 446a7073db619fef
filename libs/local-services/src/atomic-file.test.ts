import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAtomically, writeFileAtomic } from './atomic-file.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic builds', () => {
  it('a build that fails halfway leaves the good folder as it was and no temporary files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'web4-atomic-'));
    const target = join(dir, 'model');
    mkdirSync(target);
    writeFileSync(join(target, 'weights.bin'), 'good');
    await expect(
      buildAtomically(target, async (tmp) => {
        mkdirSync(tmp);
        writeFileSync(join(tmp, 'weights.bin'), 'half-writ');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readFileSync(join(target, 'weights.bin'), 'utf8')).toBe('good');
    expect(readdirSync(dir)).toEqual(['model']);
  });

  it('a successful build replaces a folder in one step', async () => {
    dir = mkdtempSync(join(tmpdir(), 'web4-atomic-'));
    const target = join(dir, 'model');
    mkdirSync(target);
    writeFileSync(join(target, 'old.bin'), 'old');
    await buildAtomically(target, async (tmp) => {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'new.bin'), 'new');
    });
    expect(readdirSync(target)).toEqual(['new.bin']);
    expect(readdirSync(dir)).toEqual(['model']);
  });

  it('writeFileAtomic replaces a file and leaves nothing else behind', () => {
    dir = mkdtempSync(join(tmpdir(), 'web4-atomic-'));
    const file = join(dir, 'a.json');
    writeFileAtomic(file, '1');
    writeFileAtomic(file, '2');
    expect(readFileSync(file, 'utf8')).toBe('2');
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(existsSync(file)).toBe(true);
  });
});
