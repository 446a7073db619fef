import { AutoModel, AutoTokenizer, env, mean_pooling, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { availableParallelism } from 'node:os';
import type { TextEmbedder, TokenCounter } from '../text-embedder.js';

export interface MiniLmEmbedderOptions {
  /**
   * `local`: load `modelName` from `localModelsRoot` with every remote download switched off
   * (the folder tools/setup builds from registry packages); `hub`: load `hubId` from the
   * Hugging Face hub (needs internet; transformers.js caches it).
   */
  source: 'local' | 'hub';
  hubId: string;
  /** Folder holding `<modelName>/config.json`, `tokenizer.json`, `onnx/…`. */
  localModelsRoot: string;
  modelName: string;
  /** fp32: onnx/model.onnx; int8: onnx/model_int8.onnx; q8: onnx/model_quantized.onnx. */
  dtype: 'fp32' | 'int8' | 'q8';
  /** Texts per forward pass. */
  batchSize: number;
  /** Tokens read per text; sentence-transformers' all-MiniLM-L6-v2 reads 256. */
  maxTokens?: number;
  /** onnxruntime threads for one inference; default: one per core. */
  threads?: number;
}

/**
 * all-MiniLM-L6-v2 sentence embeddings (384 dimensions, unit length) computed in Node with
 * transformers.js + onnxruntime, the same way sentence-transformers computes them: truncate to
 * 256 tokens, mean-pool the last hidden state over the attention mask, L2-normalise.
 * The tokenizer and model are loaded once, on first use.
 */
export class MiniLmEmbedder implements TextEmbedder {
  readonly dimensions = 384;
  private loaded: Promise<{ tokenizer: PreTrainedTokenizer; model: PreTrainedModel }> | undefined;
  private tokenizerLoaded: Promise<PreTrainedTokenizer> | undefined;

  constructor(readonly options: MiniLmEmbedderOptions) {}

  /** The model id to load, with transformers.js pointed at the local folder or the hub. */
  private modelId(): string {
    if (this.options.source === 'local') {
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = this.options.localModelsRoot;
      return this.options.modelName;
    }
    env.allowRemoteModels = true;
    return this.options.hubId;
  }

  private loadTokenizer(): Promise<PreTrainedTokenizer> {
    this.tokenizerLoaded ??= AutoTokenizer.from_pretrained(this.modelId()).catch((error: unknown) => {
      this.tokenizerLoaded = undefined;
      throw error;
    });
    return this.tokenizerLoaded;
  }

  private load(): Promise<{ tokenizer: PreTrainedTokenizer; model: PreTrainedModel }> {
    this.loaded ??= (async () => {
      const tokenizer = await this.loadTokenizer();
      const model = await AutoModel.from_pretrained(this.modelId(), {
        dtype: this.options.dtype,
        // One inference at a time, all cores on it, and no busy-waiting between operators:
        // spinning threads cost a lot on a small or shared CPU (measured ~10% here).
        session_options: {
          intraOpNumThreads: Math.max(1, this.options.threads ?? availableParallelism()),
          interOpNumThreads: 1,
          extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        },
      });
      return { tokenizer, model };
    })().catch((error: unknown) => {
      this.loaded = undefined; // let a later call retry after the folder was built
      throw error;
    });
    return this.loaded;
  }

  /** The tokenizer alone (the model is not loaded for it), counting as the model will read. */
  async tokenCounter(): Promise<TokenCounter> {
    const tokenizer = await this.loadTokenizer();
    return { max: this.maxTokens, count: (text) => tokenizer.encode(text).length };
  }

  get maxTokens(): number {
    return this.options.maxTokens ?? 256;
  }

  async embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const { tokenizer, model } = await this.load();
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += this.options.batchSize) {
      const batch = texts.slice(i, i + this.options.batchSize);
      const inputs = tokenizer(batch, { padding: true, truncation: true, max_length: this.maxTokens });
      const { last_hidden_state } = await model(inputs);
      const pooled = mean_pooling(last_hidden_state, inputs.attention_mask).normalize(2, -1);
      out.push(...(pooled.tolist() as number[][]));
    }
    return out;
  }

  /** Release the onnxruntime session. */
  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) await (await loaded).model.dispose();
  }
}
