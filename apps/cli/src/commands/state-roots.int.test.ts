import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

/**
 * Two state roots on one machine at the same time (issue 10): each indexes its own journal and
 * answers from its own documents only — with a Chroma each (`services up` for the second root
 * does not take the first one's), and on one Chroma shared on purpose (a database each). Real
 * CLI processes, real Chroma servers, the test setup's Ollama (configured, so shared on purpose).
 */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const work = mkdtempSync(join(tmpdir(), 'web4-two-roots-'));
const DAY = '2026-11-20'; // the PDCAs' day
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the commands' JSON, read field by field below
type Json = Record<string, any>;

const baseEnv: NodeJS.ProcessEnv = { ...process.env, WEB4_SERVING__MAX_TOKENS: '8', WEB4_MODELS__EMBEDDING__WORKERS: '0' };
delete baseEnv.WEB4_SERVICES__CHROMA__URL;
delete baseEnv.WEB4_SERVICES__CHROMA__PORT;
baseEnv.WEB4_SERVICES__OLLAMA__URL = process.env.WEB4_SERVICES__OLLAMA__URL ?? inject('ollamaUrl');

function web4(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string; json: () => Json }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'tools/web4.mjs'), '--root', root, ...args], { encoding: 'utf8', env: { ...baseEnv, ...env }, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr, json: () => JSON.parse(stdout) as Json });
    });
  });
}

/** A state root with a journal of two PDCAs on one made-up topic, named by `slug`. */
function stateRoot(name: string, topic: { slug: string; words: string }): { root: string; journal: string } {
  const root = join(work, name);
  const journal = join(root, 'journal');
  for (const [i, hhmm] of ['0900', '1400'].entries()) {
    const dir = join(journal, `${DAY}-0900-session`, 'pdca', 'role', 'developer');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${DAY}-UTC-${hhmm}-${topic.slug}-${i + 1}.md`),
      [
        `# 📋 **PDCA Cycle: ${topic.words} step ${i + 1}**`,
        '',
        `**🗓️ Date:** ${DAY}-UTC-${hhmm}`,
        `**🎯 Objective:** ${topic.words}, step ${i + 1}`,
        '**👤 Role:** Developer',
        '',
        '## **📋 PLAN**',
        `Plan the ${topic.words} work for step ${i + 1}.`,
        '## **🔧 DO**',
        `Did the ${topic.words} work; the ${topic.words} checks now run every night.`,
        '## **✅ CHECK**',
        `The ${topic.words} results match what was planned.`,
        '## **🎯 ACT**',
        `Keep the ${topic.words} procedure.`,
        '',
      ].join('\n'),
    );
  }
  return { root, journal };
}

const A = stateRoot('root-a', { slug: 'zorblax-turbine', words: 'zorblax turbine calibration' });
const B = stateRoot('root-b', { slug: 'quokka-ledger', words: 'quokka ledger reconciliation' });
const C = stateRoot('root-c', { slug: 'zorblax-turbine', words: 'zorblax turbine calibration' });
const D = stateRoot('root-d', { slug: 'quokka-ledger', words: 'quokka ledger reconciliation' });
const sharedChroma = { WEB4_SERVICES__CHROMA__URL: process.env.WEB4_SERVICES__CHROMA__URL ?? inject('chromaUrl') };

afterAll(async () => {
  for (const r of [A, B]) await web4(r.root, ['services', 'down', '--only', 'chroma']);
  const { ChromaTier } = await import('@web4/rag-tiers');
  for (const r of [C, D]) {
    const status = (await web4(r.root, ['services', 'status', '--only', 'chroma', '--json'], sharedChroma)).json().services[0];
    await new ChromaTier(sharedChroma.WEB4_SERVICES__CHROMA__URL, status.database).dropDatabase().catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
});

/** Index the root's journal (its PDCA history), then retrieve (and ask) about `question`; returns the document ids seen. */
async function indexAndAnswer(r: { root: string; journal: string }, question: string, env: NodeJS.ProcessEnv = {}, ask = true): Promise<{ retrieved: string[]; cited: string[] }> {
  const empty = join(r.root, 'no-corpus');
  mkdirSync(empty, { recursive: true });
  const folders = ['--components', empty, '--process-docs', empty, '--tool-examples', empty, '--trainai', empty];
  const indexed = await web4(r.root, ['index', 'corpus', '--journal', r.journal, ...folders, '--json'], env);
  expect(indexed.code, indexed.err).toBe(0);
  expect((indexed.json().reports as Json[]).find((x) => x.collection === 'pdca_historical')).toMatchObject({ indexed: 2, failed: 0 });
  const query = await web4(r.root, ['rag', 'query', question, '--json'], env);
  expect(query.code, query.err).toBe(0);
  const retrieved = (query.json().results as Json[]).map((x) => String(x.documentId));
  if (!ask) return { retrieved, cited: [] };
  const asked = await web4(r.root, ['ask', question, '--json'], env);
  expect(asked.code, asked.err).toBe(0);
  expect(asked.json().answer.length).toBeGreaterThan(0);
  return { retrieved, cited: (asked.json().context as Json[]).map((x) => String(x.documentId)) };
}

describe('two state roots on one machine', () => {
  it('each starts its own Chroma (the second never takes the first one\'s), indexes, and answers from its own documents only', async () => {
    const upA = await web4(A.root, ['services', 'up', '--only', 'chroma', '--json']);
    expect(upA.code, upA.err).toBe(0);
    const chromaA = upA.json().services[0];
    expect(chromaA).toMatchObject({ source: 'ours', state: 'running' });

    // Before its own is up, the second root sees no Chroma: never the first root's.
    const statusB = await web4(B.root, ['services', 'status', '--only', 'chroma', '--json']);
    expect(statusB.code).toBe(1);
    expect(statusB.json().services[0]).toMatchObject({ state: 'stopped', source: 'none' });
    if (Number(new URL(chromaA.url).port) === 8000) expect(statusB.json().services[0].foreignUrl).toBe(chromaA.url);
    const noChroma = await web4(B.root, ['rag', 'query', 'zorblax turbine calibration']);
    expect(noChroma.code).not.toBe(0);
    expect(noChroma.err).toMatch(/no Chroma|not reachable/);

    const upB = await web4(B.root, ['services', 'up', '--only', 'chroma', '--json']);
    expect(upB.code, upB.err).toBe(0);
    const chromaB = upB.json().services[0];
    expect(chromaB).toMatchObject({ source: 'ours', state: 'running', started: true });
    expect(chromaB.url).not.toBe(chromaA.url);
    expect(chromaB.dataDir).toBe(join(B.root, 'chroma'));

    const [a, b] = await Promise.all([indexAndAnswer(A, 'zorblax turbine calibration'), indexAndAnswer(B, 'zorblax turbine calibration')]);
    expect(a.retrieved.some((id) => id.includes('zorblax-turbine'))).toBe(true);
    expect(a.cited.some((id) => id.includes('zorblax-turbine'))).toBe(true);
    for (const id of [...a.retrieved, ...a.cited]) expect(id).not.toContain('quokka');
    for (const id of [...b.retrieved, ...b.cited]) expect(id).not.toContain('zorblax');

    // The first root's collections still match its own records after the second indexed.
    const health = await web4(A.root, ['rag', 'health', '--json']);
    expect(health.code, health.out).toBe(0);
    const buffer = (health.json().collections as Json[]).find((c) => c.collection === 'daily_buffer');
    expect(buffer).toMatchObject({ reachable: true, consistent: true });
  }, 600_000);

  it('on one Chroma shared on purpose, each root keeps its own database (retrieval sees only its own), shown by services status', async () => {
    const [c, d] = await Promise.all([indexAndAnswer(C, 'quokka ledger reconciliation', sharedChroma, false), indexAndAnswer(D, 'quokka ledger reconciliation', sharedChroma, false)]);
    for (const id of [...c.retrieved, ...c.cited]) expect(id).not.toContain('quokka');
    expect(d.retrieved.some((id) => id.includes('quokka-ledger'))).toBe(true);
    for (const id of [...d.retrieved, ...d.cited]) expect(id).not.toContain('zorblax');

    const statuses = [];
    for (const r of [C, D]) {
      const s = await web4(r.root, ['services', 'status', '--only', 'chroma', '--json'], sharedChroma);
      expect(s.code, s.out).toBe(0);
      statuses.push(s.json().services[0]);
      const text = await web4(r.root, ['services', 'status', '--only', 'chroma'], sharedChroma);
      expect(text.out).toContain(`database: ${s.json().services[0].database} (tenant default_tenant, exists)`);
    }
    expect(statuses.map((s) => s.source)).toEqual(['configured', 'configured']);
    expect(statuses.map((s) => s.url)).toEqual([sharedChroma.WEB4_SERVICES__CHROMA__URL, sharedChroma.WEB4_SERVICES__CHROMA__URL]);
    expect(statuses[0].database).toMatch(/^web4-root-c-[0-9a-f]{12}$/);
    expect(statuses[1].database).toMatch(/^web4-root-d-[0-9a-f]{12}$/);
    expect(statuses.every((s) => s.databaseExists === true)).toBe(true);
  }, 600_000);
});
