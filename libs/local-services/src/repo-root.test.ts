import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from './repo-root.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('repoRoot', () => {
  it('finds the checkout from this module: the folder whose package.json is web4-learning', () => {
    const root = repoRoot();
    expect((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name).toBe('web4-learning');
    expect(readFileSync(join(root, 'libs', 'local-services', 'src', 'repo-root.ts'), 'utf8')).toContain('export function repoRoot');
  });

  it('skips package.json files of other packages and unreadable ones on the way up', () => {
    const top = mkdtempSync(join(tmpdir(), 'w4-root-'));
    made.push(top);
    writeFileSync(join(top, 'package.json'), JSON.stringify({ name: 'web4-learning' }));
    mkdirSync(join(top, 'libs', 'x', 'src'), { recursive: true });
    writeFileSync(join(top, 'libs', 'x', 'package.json'), JSON.stringify({ name: '@web4/x' }));
    writeFileSync(join(top, 'libs', 'x', 'src', 'package.json'), '{ not json');
    expect(repoRoot(join(top, 'libs', 'x', 'src'))).toBe(top);
  });

  it('throws naming the start folder when no web4-learning package.json is above it', () => {
    const lone = mkdtempSync(join(tmpdir(), 'w4-noroot-'));
    made.push(lone);
    expect(() => repoRoot(lone)).toThrow(`cannot find the web4-learning checkout above ${lone}`);
  });
});
