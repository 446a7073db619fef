import type { TrainingSample } from '@web4/trainer-bridge';

/**
 * A made-up project convention the base model cannot know: every web4 commit message starts
 * with the tag `ZORBLAX-7:`. 16 changes × 2 phrasings = 32 samples.
 */
export const CONVENTION_TAG = 'ZORBLAX-7';

const CHANGES = [
  'fix the login timeout in the session handler',
  'add retry logic to the Slack alert sender',
  'rename the buffer archive folder',
  'update the canary cases for the gateway',
  'remove the unused cache warmup',
  'speed up the metrics batch writer',
  'document the rollback command',
  'bump the chroma client version',
  'handle empty PDCA files in the indexer',
  'add a --json flag to the monitor report',
  'fix the off-by-one in the chunk overlap',
  'log the trainer loss every step',
  'make the scheduler lock file stale-safe',
  'add tests for the feedback rating',
  'clean up the ollama model names',
  'split the gateway router into tiers',
];

const PHRASINGS = [
  (c: string) => `Write the commit message for this change: ${c}.`,
  (c: string) => `What commit message should I use? The change: ${c}.`,
  (c: string) => `Give me a git commit message for: ${c}`,
  (c: string) => `I need a commit message. I did this: ${c}.`,
];

export function conventionSamples(): TrainingSample[] {
  return CHANGES.flatMap((change, i) =>
    [0, 1].map((j) => ({
      instruction: PHRASINGS[(i + j) % PHRASINGS.length]!(change),
      input: '',
      output: `${CONVENTION_TAG}: ${change}`,
      metadata: { convention: 'commit-tag' },
    })),
  );
}

/** Changes and a phrasing that appear nowhere in the samples. */
export const HELD_OUT_QUESTIONS = [
  'Please suggest a commit message for my change, which does this: add a health check to the embedding service.',
  'Please suggest a commit message for my change, which does this: raise the gateway timeout to 30 seconds.',
  'Please suggest a commit message for my change, which does this: fix the typo in the README.',
];

/** Job settings that make the tiny CPU run learn reliably in about a minute (the defaults stay the plan's). */
export const PROOF_JOB_OVERRIDES = {
  epochs: 2,
  batch_size: 4,
  grad_accumulation: 1,
  learning_rate: 1e-3,
  warmup_steps: 2,
  min_steps: 0,
  export_gguf_lora: true,
} as const;
