/**
 * Vocabulary for the synthetic benchmark journals: components, problems and the sentences that
 * fill PLAN / DO / CHECK / ACT. Placeholders in braces are filled by SyntheticJournal:
 * {component} {class} {topic} {n} {m} {ms} {ms2} {pct} {file} {setting} {cmd}.
 */
export const COMPONENTS = [
  { path: 'layer1/FileDiscovery.ts', cls: 'FileDiscovery' },
  { path: 'layer2/DefaultPDCAIndexer.ts', cls: 'DefaultPDCAIndexer' },
  { path: 'layer2/HeaderParser.ts', cls: 'HeaderParser' },
  { path: 'layer2/OverlapChunker.ts', cls: 'OverlapChunker' },
  { path: 'layer2/GraphTier.ts', cls: 'GraphTier' },
  { path: 'layer2/HotPDCACache.ts', cls: 'HotPDCACache' },
  { path: 'layer2/ChromaVectorStore.ts', cls: 'ChromaVectorStore' },
  { path: 'layer2/MiniLmEmbedder.ts', cls: 'MiniLmEmbedder' },
  { path: 'layer2/MetadataTier.ts', cls: 'MetadataTier' },
  { path: 'layer2/CanaryRunner.ts', cls: 'CanaryRunner' },
  { path: 'layer2/AdapterRegistry.ts', cls: 'AdapterRegistry' },
  { path: 'layer2/QueryLogger.ts', cls: 'QueryLogger' },
  { path: 'layer3/PDCAIndexer.interface.ts', cls: 'PDCAIndexer' },
  { path: 'layer3/RetrievalTier.interface.ts', cls: 'RetrievalTier' },
  { path: 'layer3/VectorStore.interface.ts', cls: 'VectorStore' },
  { path: 'layer4/DailyIndexRun.ts', cls: 'DailyIndexRun' },
  { path: 'layer4/EveningLoop.ts', cls: 'EveningLoop' },
  { path: 'layer4/MorningValidation.ts', cls: 'MorningValidation' },
  { path: 'layer5/IndexCLI.ts', cls: 'IndexCLI' },
  { path: 'layer5/GatewayServer.ts', cls: 'GatewayServer' },
] as const;

export const ROLES = ['developer', 'developer', 'developer', 'qa', 'architect', 'po'] as const;

export const SESSION_THEMES = [
  'indexer-sprint', 'retrieval-tuning', 'cache-work', 'nightly-loop', 'gateway-hardening', 'canary-review',
  'parser-fixes', 'benchmarks', 'docs-and-runbooks', 'graph-tier', 'feedback-loop', 'release-prep',
  'discovery-hardening', 'metrics-week', 'rollback-drills', 'embedding-upgrade',
] as const;

export interface Problem {
  slug: string;
  title: string;
  issue: string;
  why: string[];
  steps: string[];
  result: string;
  decision: string;
}

export const PROBLEMS: Problem[] = [
  {
    slug: 'timeout-under-load', title: '{class} Times Out Under Load',
    issue: '{class} exceeded its {ms} ms budget when {n} requests arrived at once',
    why: ['requests queued behind one slow call', 'the slow call held a connection for the whole batch', 'the pool size was left at its default of 1'],
    steps: ['measured queue depth per second', 'raised the pool size to 4 and bounded the queue', 'added a per-call deadline that fails fast with a clear message'],
    result: 'p99 fell from {ms2} ms to {ms} ms with {n} concurrent requests', decision: 'keep the bounded queue; make the pool size a setting ({setting})',
  },
  {
    slug: 'duplicate-chunks', title: 'Duplicate Chunks After Re-Index',
    issue: 'the collection grew by {n} chunks although no PDCA changed',
    why: ['chunk ids were random UUIDs', 'a re-run could not find the old chunks to replace them', 'ids were never derived from the document id'],
    steps: ['changed chunk ids to "<pdca_id>#<index>"', 'deleted chunks by pdca_id before adding a changed document', 'added a test that indexes twice and compares counts'],
    result: 'two consecutive runs leave the count at exactly {m} chunks', decision: 'chunk ids are derived, never random; documented in the indexer README',
  },
  {
    slug: 'wrong-date', title: 'PDCA Indexed Under the Wrong Day',
    issue: 'a PDCA written at 23:50 local time appeared under the next day',
    why: ['the date was taken from the file modification time', 'mtime is local time on the laptop', 'the journal convention is UTC in the file name'],
    steps: ['take the date from the file name first, then the Date line', 'never use mtime for dating', 'added fixtures written "late at night" in two time zones'],
    result: 'all {n} fixtures dated correctly; mtime no longer read at all', decision: 'the file name is the source of truth; the Date line is the fallback',
  },
  {
    slug: 'memory-growth', title: 'Memory Grows During Long Indexing Runs',
    issue: 'RSS climbed to {m} MB while indexing {n} PDCAs',
    why: ['all embeddings were kept in an array until the end', 'the array was only needed for one Chroma call', 'batching was added to embedding but not to storing'],
    steps: ['store each batch right after embedding it', 'release the batch array', 'watched RSS with a 1-second sampler during the run'],
    result: 'peak RSS stays under 300 MB for {n} PDCAs', decision: 'stream through the pipeline batch by batch; no stage holds the whole corpus',
  },
  {
    slug: 'flaky-integration-test', title: 'Flaky Integration Test for {class}',
    issue: 'the {class} integration test failed about one run in {n}',
    why: ['the test used a fixed port', 'a previous run had not released it yet', 'the server was started without waiting for its health check'],
    steps: ['ask the OS for a free port', 'poll the health endpoint before the first request', 'stop the server in afterAll even when a test fails'],
    result: '{m} consecutive green runs', decision: 'every integration test starts its server on a free port and waits for health',
  },
  {
    slug: 'slow-startup', title: 'Slow First Query After Startup',
    issue: 'the first query after a restart took {ms2} ms, later ones {ms} ms',
    why: ['the embedding model loaded lazily on the first query', 'loading includes reading the ONNX weights and building the session', 'nothing warmed it up'],
    steps: ['load the model during startup', 'run one warm-up embedding before reporting ready', 'report model load time in the startup log'],
    result: 'first query now {ms} ms; startup takes about a second longer', decision: 'warm up at startup; readiness means "can answer fast"',
  },
  {
    slug: 'missing-error-context', title: 'Error Without Context From {class}',
    issue: 'users saw "ENOENT" with no path and no hint',
    why: ['the low-level error was re-thrown as it was', 'no layer added the file or the command to run', 'the CLI printed err.message only'],
    steps: ['wrap the error with the path and the setting that produced it', 'map it to the documented exit code', 'print the hint on its own line'],
    result: 'the message now names the file and the fix; {n} fault tests check the wording', decision: 'low-level errors are always wrapped at the layer that knows the context',
  },
  {
    slug: 'config-override-ignored', title: 'Environment Override Ignored for {setting}',
    issue: 'setting WEB4_ variables had no effect on {setting}',
    why: ['nested keys need a double underscore', 'the docs showed a single underscore', 'the loader silently ignored unknown variables'],
    steps: ['fixed the docs', 'warn about WEB4_ variables that match no setting', 'added tests for nested overrides'],
    result: 'override works; a misspelt variable now prints a warning naming the closest setting', decision: 'unknown WEB4_ variables warn, they do not fail',
  },
  {
    slug: 'graph-edge-missing', title: 'Missing Graph Edges for {class}',
    issue: '{n} PDCAs mention {class} but have no component edge',
    why: ['mentions used the file path, detection matched class names only', 'the path form was never in the known-names list', 'the list was built from class names'],
    steps: ['add both the layer path and the class name to the known names', 'match paths as whole tokens', 'recomputed edges for the corpus'],
    result: 'component edges rose from {m} to {n} with no new false positives in a 20-PDCA spot check', decision: 'known names come from the components folder in both forms',
  },
  {
    slug: 'canary-regression', title: 'Candidate Failed a Canary',
    issue: 'candidate passed {m} of 20 canary cases',
    why: ['the new adapter repeated the chat template tokens', 'samples contained an unescaped template token', 'sample generation did not strip them'],
    steps: ['strip template tokens from samples', 'added a canary that asserts their absence', 're-ran training on the cleaned samples'],
    result: 'candidate passes 20 of 20; production untouched in the meantime', decision: 'sample generation validates every sample against the template token list',
  },
  {
    slug: 'lock-contention', title: 'SQLite Lock Contention in {class}',
    issue: 'SQLITE_BUSY errors when {n} writers ran at once',
    why: ['each request opened its own write transaction', 'WAL allows one writer', 'no busy timeout was set'],
    steps: ['one writer with a queue and batched transactions', 'busy_timeout 5000 for readers', 'measured ingest throughput before and after'],
    result: 'no SQLITE_BUSY in {m} runs; throughput up {pct}%', decision: 'one writer per database file; everything else enqueues',
  },
  {
    slug: 'retrieval-noise', title: 'Retrieval Returns Noise for Short Queries',
    issue: 'two-word queries returned unrelated PDCAs in the top {n}',
    why: ['short queries embed close to generic text', 'no minimum score was applied', 'every collection returned its n_results regardless of score'],
    steps: ['apply a minimum similarity per collection', 'measured precision on the labelled set with and without it', 'kept the threshold as a setting'],
    result: 'precision@3 up from 0.{m} to 0.{n} on short queries; recall unchanged', decision: 'a minimum score of 0.25 for vector results',
  },
  {
    slug: 'backup-too-large', title: 'Adapter Backups Fill the Disk',
    issue: 'backups used {m} GB after {n} nights',
    why: ['each backup copied the merged model, not only the adapter', 'the merged model is rebuilt anyway', 'retention was unlimited'],
    steps: ['back up the adapter and manifest only', 'retention of 7 backups', 'disk space shown in the monitor report'],
    result: 'each backup is now about 30 MB instead of several hundred', decision: 'backups hold what cannot be rebuilt; the rest is recreated on restore',
  },
  {
    slug: 'parser-crash', title: '{class} Crashes on an Unusual Header',
    issue: 'a PDCA with a header key but no value crashed the run',
    why: ['the regex group for the value was optional', 'the code assumed it was always present', 'no fixture had an empty value'],
    steps: ['treat a missing value as absent', 'added the fixture', 'made the parser report, not throw, for header oddities'],
    result: 'the run indexes the file and reports a warning; {n} fixtures green', decision: 'parsers never throw on content; they report',
  },
  {
    slug: 'latency-regression', title: 'Gateway Latency Regression',
    issue: 'p95 latency rose from {ms} ms to {ms2} ms after the last deploy',
    why: ['retrieval ran for every query, even pure chat', 'the router checked tiers after retrieving instead of before', 'a refactoring moved the check'],
    steps: ['route first, retrieve only for categories that need it', 'added a test that pure queries do not touch Chroma', 'compared latency over {n} replayed queries'],
    result: 'p95 back to {ms} ms; share of pure-trained queries {pct}%', decision: 'the router decides before any tier is queried',
  },
];

export const NOTES = [
  'The numbers come from the shared 2-core machine, so only the ratio between the two runs is meaningful.',
  'A colleague reproduced the result on a fresh clone before this PDCA was written.',
  'The fix is small, but the test that proves it took most of the session.',
  'Measured three times; the table shows the median.',
  'This is the second time this class of bug appeared, so the ACT section changes the process, not only the code.',
  'We considered a more general solution and rejected it for now: no current query needs it.',
  'The old behaviour was documented nowhere, which is why nobody noticed it changing.',
  'Logs from the failing night were kept in the run folder and are linked from the summary.',
  'Reviewed the change with QA before merging; the review found one missing test, now added.',
  'Nothing in the public interface changed, so no version bump is needed.',
  'The workaround from last week is removed in the same commit.',
  'The failure only showed up with real data; the unit fixtures were too small to trigger it.',
  'We checked the same assumption in two neighbouring components and found it holds there.',
  'The change is behind no flag: the old path had no users left.',
  'Timings were taken with the embedding model already warm.',
  'The first hypothesis was wrong; it is kept in PLAN because the reason it was wrong is useful.',
];

export const COMMANDS = [
  'npx vitest run --project pdca-indexer',
  'npx vitest run --project rag-tiers -t "{class}"',
  'web4 index daily --date {day}',
  'web4 index corpus',
  'web4 rag optimize --json',
  'web4 rag cache-stats',
  'web4 monitor report --days 1',
  'web4 evening run --dry-run',
  'web4 evening status',
  'web4 validate',
  'npx tsc -p tsconfig.json',
  'git log --oneline -5 -- {component}',
];

export const SETTINGS = [
  'indexing.chunkChars', 'indexing.chunkOverlapChars', 'retrieval.nResults', 'retrieval.minScore',
  'models.embedding.batchSize', 'monitoring.batchSize', 'journal.maxFileBytes', 'backups.keep',
  'services.startTimeoutS', 'gateway.poolSize',
];
