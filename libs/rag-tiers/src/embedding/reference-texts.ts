/**
 * Fifty varied texts for comparing embedders: short and long (past the 256-token window),
 * prose, PDCA markdown, code, logs, other languages, symbols and emoji, and near-empty input.
 */
const pdca = `# 📋 PDCA: Interactive mode hang prevention
**Date:** 2025-08-20 UTC 06:35
**Objective:** stop the CLI from hanging when stdin is not a TTY
## 📋 PLAN
- Reproduce the hang with a piped input
- Add a timeout around the prompt
## 🔧 DO
Wrapped readline in an AbortController; added a --no-interactive flag.
## ✅ CHECK
CI job with piped input finishes in 4 s instead of timing out.
## 🎯 ACT
Document the flag; add a regression test.`;

const longProse = Array.from({ length: 40 }, (_, i) =>
  `Sentence ${i + 1} explains how the nightly loop trains the adapter, runs the canaries, and promotes the candidate only when every case passes.`,
).join(' ');

const code = `export async function promoteCandidate(registry: AdapterRegistry, name: string): Promise<void> {
  const previous = await registry.current();
  await registry.copy(previous, 'web4-agent:previous');
  await registry.copy(name, 'web4-agent:latest');
}`;

export const REFERENCE_TEXTS: string[] = [
  'hello',
  'Hello, world!',
  'How do I roll back the production adapter?',
  'rollback production adapter',
  'The canary suite must pass 20 of 20 cases before promotion.',
  'Latency above 2500 ms counts as a miss against the target.',
  'What did we change in the indexing pipeline yesterday?',
  'Chroma collection pdca_historical holds every trained PDCA chunk.',
  'The quick brown fox jumps over the lazy dog.',
  'A dog is lying in the sun on the porch.',
  'Quantum chromodynamics describes the strong interaction.',
  'Bake the bread at 220 degrees for thirty minutes.',
  pdca,
  longProse,
  longProse + ' ' + longProse,
  code,
  'SELECT day, count(*) FROM query_metrics GROUP BY day ORDER BY day DESC LIMIT 7;',
  'def train(job): return Trainer(job).run()',
  'npm run test -- --project rag-tiers',
  '2026-11-24T21:00:00Z ERROR evening-loop step=train exit=137 (out of memory)',
  'Traceback (most recent call last):\n  File "train.py", line 42, in <module>\nRuntimeError: CUDA out of memory',
  '{"event":"progress","step":12,"total":40,"loss":1.73}',
  'https://example.com/docs/runbooks/rag_maintenance.md#services',
  'Die Rückkehr zum vorherigen Modell dauert weniger als eine Minute.',
  'Le modèle candidat est promu seulement si tous les tests passent.',
  'El índice diario se reconstruye cada noche a las 22:00.',
  'Модель обучается каждую ночь на новых документах.',
  '每天晚上模型都会在新的文档上进行训练。',
  '夜間学習は毎晩二十二時に始まります。',
  'ثم يتم ترقية النموذج إذا نجحت جميع الاختبارات',
  '🚀 deploy done ✅ all canaries green 🎉',
  '→ ← ↑ ↓ ∑ ∫ √ ∞ ≈ ≠ ≤ ≥',
  'a',
  '.',
  '   leading and trailing spaces   ',
  'UPPER CASE SHOUTING ABOUT THE LATENCY TARGET',
  'tabs\tand\nnewlines\r\nmixed',
  'x'.repeat(600),
  'word '.repeat(400),
  'Thumbs down: the answer cited a PDCA from the wrong component.',
  'Users rated 84% of answers helpful this week.',
  'Pure trained answers should be 50-60% of all queries.',
  'The graph tier links each PDCA to its previous PDCA and components.',
  'TrainAI topics cover process framework questions.',
  'Index the daily buffer, then train one epoch on it.',
  'Back up the adapter before each nightly run.',
  'ollama create web4-agent:candidate -f Modelfile',
  'LoRA rank 16, alpha 32, dropout 0.05, learning rate 1e-4',
  'Why did the morning validation fail on query 7?',
  'I like turtles.',
];
