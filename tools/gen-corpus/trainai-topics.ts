/**
 * The 20 TrainAI topics of the example process framework. One source for three consumers:
 * `build-examples.ts` writes examples/trainai/ from it, the synthetic journals cite topics by id,
 * and the invariants test checks the written files against it. Keywords are what the indexer
 * matches to draw PDCA -> topic edges, so each is specific enough not to fire on every PDCA.
 */
export interface TrainAITopic {
  id: string;
  title: string;
  keywords: string[];
  body: string;
}

export const TRAINAI_TOPICS: TrainAITopic[] = [
  {
    id: 'pdca-cycle',
    title: 'Working in PDCA Cycles',
    keywords: ['pdca cycle', 'plan do check act', 'pdca template'],
    body: `Every unit of work is one cycle: PLAN states the objective and how we will know it worked, DO records what was actually run and changed, CHECK compares the result with the plan using evidence (test output, numbers, screenshots of logs), ACT decides what changes next time. A cycle is small: one bug, one decision, one refactoring. When a cycle grows past a working session, close it with what is known and open a new one that links back through the Previous PDCA line.

The header is not decoration. The Date line gives the indexer the day when the file name has none, the Last Commit SHA ties the notes to code, and the Previous PDCA link builds the chain the graph tier walks.`,
  },
  {
    id: 'cmm-levels',
    title: 'Capability Maturity Levels for a Team Process',
    keywords: ['cmm', 'cmm3', 'maturity level', 'repeatable process'],
    body: `We use the CMM ladder as a vocabulary, not a certification. CMM1: it worked once and nobody knows why. CMM2: it is repeatable because someone wrote the steps down. CMM3: the steps are defined, shared and the same for everyone, so a newcomer following the document gets the same result. CMM4: the process is measured (timings, failure rates) and the numbers drive changes.

A PDCA should say which level a practice reached. "Indexing works on my machine" is CMM1; a runbook that anyone can follow is CMM3; a nightly benchmark with a budget that fails the build is CMM4.`,
  },
  {
    id: 'dual-links',
    title: 'Dual Links: Readable Anywhere',
    keywords: ['dual link', 'relative link', 'previous pdca link'],
    body: `Links in journal entries are written so they work both in the repository browser and in a local checkout. The rule of thumb is a relative link from the file's own folder; when a hosted URL is useful, give it in addition, never instead. A relative link survives a fork, a rename of the organisation and an offline laptop.

Broken relative links are the most common journal defect. Before committing, open the Previous PDCA link from the file's location, not from the repository root.`,
  },
  {
    id: 'commit-conventions',
    title: 'Commit Messages and SHAs in the Journal',
    keywords: ['commit message', 'conventional commit', 'commit sha'],
    body: `Commit subjects use a short type prefix (feat, fix, docs, test, refactor, perf, chore), an optional scope in parentheses and an imperative summary under 72 characters: "fix(indexer): skip files whose content hash is unchanged". The body explains why, not what.

The Last Commit SHA in a PDCA header is the commit the PDCA describes, abbreviated to seven characters. Write the PDCA after the commit, or amend the header once it exists; a PDCA pointing at a SHA that never existed is worse than none.`,
  },
  {
    id: 'test-first',
    title: 'Test First, Then Fix',
    keywords: ['failing test', 'test first', 'red green refactor', 'regression test'],
    body: `Before fixing a reported bug, write the test that reproduces it and watch it fail for the reported reason. Only then change the code. This proves the test can detect the bug, documents the bug in executable form and prevents the fix from silently regressing.

A test that passes before the fix tests something else. A test that asserts nothing, or compares a value with itself, is a defect even if it is green.`,
  },
  {
    id: 'non-interactive-testing',
    title: 'Non-Interactive Runs Only',
    keywords: ['interactive mode', 'hanging process', 'non-interactive', 'stdin'],
    body: `Automated runs never wait for a keyboard. Every tool we drive from scripts or an agent gets a non-interactive switch (a flag, an environment variable, input from a file) and a timeout. A command that may prompt is run with stdin closed (\`</dev/null\`) so it fails fast instead of hanging.

If a session had to be rescued by hand, the PDCA says so explicitly: an unnoticed manual rescue hides a broken process.`,
  },
  {
    id: 'five-layer-architecture',
    title: 'The Five-Layer Component Layout',
    keywords: ['layer1', 'layer2', 'layer3', 'layer4', 'layer5', 'five-layer'],
    body: `Components are split into five layers. layer1: infrastructure adapters (file system, network, processes). layer2: implementations of the domain (DefaultPDCAIndexer, OverlapChunker, GraphTier). layer3: interfaces and types only — no code that runs. layer4: orchestration that composes layer2 objects behind layer3 interfaces (DailyIndexRun). layer5: entry points such as the CLI.

Dependencies point downwards to interfaces: layer4 imports layer3 types, never a layer2 class by name, except in the one place that wires the object graph.`,
  },
  {
    id: 'empty-constructor',
    title: 'Empty Constructors and init()',
    keywords: ['empty constructor', 'init method', 'scenario initialisation'],
    body: `Component classes have an empty constructor and an \`init(...)\` method that receives configuration and returns \`this\`. Construction never fails and never does I/O; everything that can fail happens in init, where it can be awaited, retried and reported with a clear message.

The pattern makes objects restorable from a saved scenario: create empty, then init from the stored state.`,
  },
  {
    id: 'radical-simplicity',
    title: 'Radical Simplicity',
    keywords: ['occam', 'simplest solution', 'remove code', 'over-engineering'],
    body: `Prefer the solution with fewer moving parts, even when a cleverer one is faster on paper. Delete code that no test or user needs. A Map-based LRU beats a hand-written linked list at 100 entries; a character chunker beats a tokenizer we cannot load offline.

When a PDCA proposes a new abstraction, CHECK must show the problem it solves today, not one we might have next quarter.`,
  },
  {
    id: 'dry-principle',
    title: "Don't Repeat Yourself",
    keywords: ['duplicated logic', 'dry violation', 'single source of truth'],
    body: `Each fact lives in one place: the date pattern in one regular expression, the collection names in one list, the retry policy in one helper. Duplication is found by reading diffs, and it is fixed by moving the fact, not by copying the fix to every copy.

Tests that assert the same behaviour through two entry points are fine; two implementations of the same behaviour are not.`,
  },
  {
    id: 'component-versioning',
    title: 'Versioning Components',
    keywords: ['semantic version', 'version bump', 'breaking change'],
    body: `Components carry a version (major.minor.patch). A breaking change to a layer3 interface bumps the major version and comes with a migration note in the PDCA. Adding an optional field bumps the minor version. Fixes bump the patch.

The journal records every bump with the reason. Adapters trained by the nightly loop are versioned by timestamp, not by semver, because they are artefacts, not interfaces.`,
  },
  {
    id: 'feedback-handling',
    title: 'Handling Reviewer Feedback',
    keywords: ['reviewer feedback', 'qa decision', 'user feedback'],
    body: `Quote the feedback verbatim in the PDCA, then answer it: what was misunderstood, what changes, what does not and why. Open questions go into a QA Decisions checklist so the reviewer can tick them off.

Never argue with feedback in code. If you disagree, write the disagreement down with the evidence, and let the reviewer decide.`,
  },
  {
    id: 'root-cause-analysis',
    title: 'Finding the Root Cause',
    keywords: ['root cause', 'five whys', 'post-mortem'],
    body: `A fix addresses the root cause, not the symptom. Ask why until the answer is a decision someone made or a fact about the environment ("the file was Latin-1 because it was exported from the old wiki"). Write the chain of whys in the PLAN section.

A PDCA that ends with "added a try/catch" has usually stopped one why too early.`,
  },
  {
    id: 'incremental-indexing',
    title: 'Incremental Indexing',
    keywords: ['content hash', 'incremental indexing', 'unchanged file', 're-index'],
    body: `Indexing is idempotent. Every document is stored with the SHA-256 of its bytes; an unchanged file is skipped, a changed file has its old chunks removed before the new ones are added, and a deleted file has its chunks removed by the clean-up job. Running the same night twice changes nothing.

The chunk id is the document id plus the chunk index, so replacing a document never leaves orphaned chunks behind.`,
  },
  {
    id: 'actionable-errors',
    title: 'Errors a Person Can Act On',
    keywords: ['error message', 'exit code', 'actionable error'],
    body: `An error says what failed, where (file, service, URL) and what to do next ("start Chroma with web4 services up"). It maps to a documented exit code. Stack traces go to the log, not to the user's terminal.

Every fault we know about gets a test that triggers it and checks the message, not only the exit code.`,
  },
  {
    id: 'observability',
    title: 'Logging, Metrics and Latency',
    keywords: ['structured logging', 'pino', 'latency percentile', 'metrics'],
    body: `Logs are structured (one JSON object per line) so they can be filtered without regular expressions. The request path never waits on the log or the metrics database: it enqueues and returns, and a batcher writes.

Report latency as percentiles (p50, p95, p99), never as an average alone; a mean of 400 ms can hide a p99 of nine seconds.`,
  },
  {
    id: 'session-handover',
    title: 'Starting and Handing Over a Session',
    keywords: ['session start', 'handover', 'restart the agent'],
    body: `A session starts by reading the last PDCA of the previous session and checking that the working tree matches its Last Commit SHA. It ends with a handover PDCA: what is done, what is in flight, what to read first, and the exact commands to get back to the same state.

A handover that needs the author to explain it did not hand anything over.`,
  },
  {
    id: 'branch-workflow',
    title: 'Branches and Merges',
    keywords: ['feature branch', 'merge conflict', 'rebase', 'pull request'],
    body: `Work happens on short-lived branches named after the task. Rebase on main before asking for review; resolve conflicts in the branch, never on main. A pull request links the PDCAs that describe it.

Never rewrite history that someone else has pulled; fix forward with a new commit.`,
  },
  {
    id: 'performance-budgets',
    title: 'Performance Budgets',
    keywords: ['benchmark', 'p99', 'performance budget', 'throughput'],
    body: `Every hot path has a budget written down before optimising (for example: daily indexing of 200 PDCAs in 10 s on 2 cores). Benchmarks measure the budget and a baseline in the same run, repeat, and report the median, because shared machines are noisy.

A change that makes a benchmark slower than its budget is a failing change, even if every unit test passes.`,
  },
  {
    id: 'retrieval-quality',
    title: 'Measuring Retrieval Quality',
    keywords: ['precision@k', 'recall@k', 'mean reciprocal rank', 'n_results'],
    body: `Retrieval settings are chosen from measurements on a labelled query set, not by feel. For each collection and each n_results value we compute precision@k, recall@k, MRR and the share of retrieved text that is relevant (context-to-noise), together with latency.

More results raise recall and lower precision; the right n_results is the smallest one whose recall is good enough for the prompt budget.`,
  },
];
