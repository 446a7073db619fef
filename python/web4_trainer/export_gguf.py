"""GGUF files Ollama can serve: the merged model, and a llama.cpp LoRA adapter.

Both use the ``gguf`` package's tensor-name map (``TensorNameMap``) to go from Hugging Face
names (``model.layers.3.self_attn.q_proj.weight``) to GGUF names (``blk.3.attn_q.weight``).
For the llama architecture llama.cpp stores q/k projections with their rotary halves
interleaved, so those rows are permuted the way ``convert_hf_to_gguf.py`` does it; qwen2
stores them as they are.

The merged model copies every metadata key of the base GGUF (tokenizer, chat template,
hyper-parameters) and replaces the tensors: Ollama then treats it exactly like the base.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .events import TrainerError

# Architectures whose q/k rows llama.cpp permutes on conversion.
_PERMUTE_QK = {"llama", "mistral"}
# Hugging Face model_type -> GGUF architecture name, where they differ.
_ARCH_ALIASES = {"mistral": "llama"}


def gguf_arch(model_type: str) -> Any:
    import gguf

    name = _ARCH_ALIASES.get(model_type, model_type)
    for arch, arch_name in gguf.MODEL_ARCH_NAMES.items():
        if arch_name == name:
            return arch
    raise TrainerError("bad_input", f"no GGUF architecture for model type {model_type!r}", "serve it as a safetensors folder (serve_format: safetensors)")


def _permute(w: np.ndarray, n_head: int) -> np.ndarray:
    # convert_hf_to_gguf.LlamaModel.permute: (heads, 2, half, ...) -> (heads, half, 2, ...)
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


class TensorNames:
    """Hugging Face tensor name -> (GGUF name, q/k permutation heads or None)."""

    def __init__(self, config: Any):
        import gguf

        self.model_type: str = config.model_type
        self.arch = gguf_arch(self.model_type)
        self.arch_name: str = gguf.MODEL_ARCH_NAMES[self.arch]
        self._map = gguf.get_tensor_name_map(self.arch, config.num_hidden_layers)
        self._n_head = config.num_attention_heads
        self._n_kv = getattr(config, "num_key_value_heads", None) or self._n_head
        self._permute = self.model_type in _PERMUTE_QK

    def gguf_name(self, hf_name: str) -> str | None:
        return self._map.get_name(hf_name, try_suffixes=(".weight", ".bias"))

    def permute_heads(self, hf_name: str) -> int | None:
        if not self._permute:
            return None
        if ".q_proj." in hf_name:
            return self._n_head
        if ".k_proj." in hf_name:
            return self._n_kv
        return None


def _to_numpy(t: Any) -> np.ndarray:
    return t.detach().to("cpu").float().numpy()


def _copy_metadata(reader: Any, writer: Any, skip: Iterable[str]) -> None:
    import gguf

    skipped = set(skip)
    for key, f in reader.fields.items():
        if key.startswith("GGUF.") or key in skipped:
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY and len(f.types) > 1 else None
        writer.add_key_value(key, f.contents(), vtype, sub_type=sub)


def write_merged_gguf(model: Any, base_gguf: str | os.PathLike[str], out_path: str | os.PathLike[str], dtype: str = "f16") -> dict[str, Any]:
    """Write the merged model's weights under the base GGUF's metadata.

    Every tensor of the base must be produced, with the base's shape; a tied output head that
    the base does not store is left out, as in the base."""
    import gguf

    names = TensorNames(model.config)
    reader = gguf.GGUFReader(str(base_gguf))
    base_arch = reader.fields["general.architecture"].contents()
    if base_arch != names.arch_name:
        raise TrainerError("bad_input", f"base GGUF architecture {base_arch!r} does not match the model's {names.arch_name!r}")
    base_shapes = {t.name: tuple(int(x) for x in reversed(t.shape.tolist())) for t in reader.tensors}

    produced: dict[str, np.ndarray] = {}
    for hf_name, tensor in model.state_dict().items():
        g = names.gguf_name(hf_name)
        if g is None:
            raise TrainerError("internal", f"no GGUF name for tensor {hf_name}")
        if g not in base_shapes:
            if g == "output.weight" and getattr(model.config, "tie_word_embeddings", False):
                continue
            raise TrainerError("internal", f"tensor {hf_name} ({g}) is not in the base GGUF")
        arr = _to_numpy(tensor)
        heads = names.permute_heads(hf_name)
        if heads is not None:
            arr = _permute(arr, heads)
        if arr.shape != base_shapes[g]:
            raise TrainerError("internal", f"tensor {g}: shape {arr.shape} differs from the base's {base_shapes[g]}")
        # Norms and biases stay f32 (as llama.cpp converts them); matrices take the chosen type.
        produced[g] = arr.astype(np.float16 if dtype == "f16" and arr.ndim >= 2 else np.float32)
    missing = sorted(set(base_shapes) - set(produced))
    if missing:
        raise TrainerError("internal", f"merged model lacks base tensors: {', '.join(missing[:5])}")

    out = Path(out_path)
    writer = gguf.GGUFWriter(str(out), names.arch_name)
    _copy_metadata(reader, writer, skip=("general.architecture", "general.file_type", "general.quantization_version"))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if dtype == "f16" else gguf.LlamaFileType.ALL_F32)
    for t in reader.tensors:  # the base's order
        writer.add_tensor(t.name, produced[t.name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"file": out.name, "arch": names.arch_name, "tensors": len(produced), "dtype": dtype, "bytes": out.stat().st_size}


def write_lora_gguf(peft_model: Any, out_path: str | os.PathLike[str], adapter_name: str = "default") -> dict[str, Any]:
    """Write the LoRA as a llama.cpp adapter (``general.type = adapter``), the format that
    Ollama's ``ADAPTER`` line loads. Scale on load is ``alpha / rank``, as in PEFT."""
    import gguf
    from peft.tuners.lora import LoraLayer

    base = peft_model.get_base_model()
    names = TensorNames(base.config)
    cfg = peft_model.peft_config[adapter_name]
    if getattr(cfg, "use_rslora", False):
        raise TrainerError("bad_input", "rsLoRA scaling cannot be expressed in a GGUF LoRA")
    writer = gguf.GGUFWriter(str(out_path), names.arch_name)
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(cfg.lora_alpha))
    count = 0
    prefix = "base_model.model."
    for module_name, module in peft_model.named_modules():
        if not isinstance(module, LoraLayer) or adapter_name not in module.lora_A:
            continue
        hf_name = (module_name[len(prefix):] if module_name.startswith(prefix) else module_name) + ".weight"
        g = names.gguf_name(hf_name)
        if g is None:
            raise TrainerError("internal", f"no GGUF name for adapted module {hf_name}")
        a = _to_numpy(module.lora_A[adapter_name].weight)  # (rank, in)
        b = _to_numpy(module.lora_B[adapter_name].weight)  # (out, rank)
        heads = names.permute_heads(hf_name)
        if heads is not None:
            b = _permute(b, heads)  # delta = B @ A: permuting delta's rows permutes B's rows
        writer.add_tensor(f"{g}.lora_a", a.astype(np.float32))
        writer.add_tensor(f"{g}.lora_b", b.astype(np.float32))
        count += 1
    if count == 0:
        raise TrainerError("internal", "the model has no LoRA layers to export")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"file": Path(out_path).name, "arch": names.arch_name, "modules": count, "bytes": Path(out_path).stat().st_size}
