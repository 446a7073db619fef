"""The trainer on one GPU, measured in one run: ``python -m web4_trainer bench-gpu``.

Everything the GPU issue asks for, in one process with a time budget (``--budget-s``, default
540 s); a part that no longer fits is skipped with a ``skipped`` line saying why, a part that
fails prints an ``error`` line and the run goes on. One JSON object per line on stdout (and in
``--jsonl FILE``); logs on stderr. Sections, in the order they run:

``env``          device, versions, the dense bf16 peak by device name, a measured bf16 matmul.
``memory_plan``  arithmetic only: weights, LoRA + AdamW state and activations per token for the
                 7B, 14B and 32B bases (bundled configs) on one 80 GiB and one 141 GB GPU.
``correctness``  packing on this device: a tiny qwen2's logits for 5 samples packed in one row
                 (every packed attention: mask, segments, and varlen on CUDA) equal each sample
                 run alone, and a plain concatenation does not; the tiny llama
                 (tiny_model.py) trained 20 steps by ``train.train`` on this device (the loss
                 must fall), its adapter merged by ``export.export``, the merged model loaded
                 back: logits = base + adapter within the dtype's tolerance.
``baseline``     the plan's recipe via ``train.train_loop``: every sample padded to
                 ``--max-length`` (2048), batch 1, gradient accumulation 4, after a warm-up.
``current``      the trainer as it runs today (``train_loop``: batch 1, grad accumulation 4,
                 each batch padded to its own longest).
``variants``     micro-batches by token budget (``packing.py``): length-grouped and padded, or
                 packed with attention kept inside each sample (``mask`` / ``varlen`` /
                 ``segments``); fused AdamW, no gradient checkpointing, bf16 LoRA weights, TF32,
                 logits only at answer positions, optionally ``torch.compile`` (``--compile``).
                 Each runs the 200-sample epoch (or as much of it as ``--variant-max-s``
                 allows, then extrapolated: ``partial``). Packed variants first check their loss
                 against the same samples unpacked (attention does not cross samples).
``evaluate``     the loss gate's ``evaluate.score`` on the same samples with the adapter.
``summary``      the best variant against the targets, and what was skipped.

The model is built from the real config (``configs/qwen2.5-coder-7b.json``) with random weights
(no download; throughput does not depend on the values), bf16 on CUDA (fp32 on CPU, as the
trainer), LoRA r16 on q,k,v,o,gate,up,down (PEFT's default: adapter weights fp32). Samples: 200
of about ``--tokens`` (1,000) tokens, lengths log-normal (σ 0.5) cut to [tokens/8, max length],
20-60 % of each the prompt (not trained), the rest answer tokens.

FLOPs per trained token (model FLOPs, the MFU convention; recomputation not counted):
  * frozen weights N_frozen (every matmul weight, lm_head included, input embedding not): forward
    2·N + backward to the activations 2·N (no weight gradients) = 4·N_frozen
  * LoRA weights N_lora: 6·N_lora
  * attention scores and values: forward 4·L·d·s (QKᵀ and AV, d = heads × head_dim, s = the
    sample's length, counted without the causal half), backward twice that = 12·L·d·s,
    with s = Σ s_i² / Σ s_i over the samples (each token of a sample of length s_i sees s_i)
  flops/token = 4·N_frozen + 6·N_lora + 12·L·d·s (≈ 4·N: LoRA training is not 6·N);
  MFU = useful tokens/s × flops/token ÷ dense bf16 peak (H100 SXM and H200 SXM: 989 TFLOP/s,
  H100 PCIe 756, H100/H200 NVL 835, A100 312; ``--peak-tflops`` overrides). Padding is never
  a useful token.

On the CPU (CI): ``--device cpu --config tiny`` runs every section in seconds (the test
tests/test_gpu_bench.py does).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Sequence, TextIO

from .data import IGNORE_INDEX, Example, collate
from .packing import attn_implementation, collate_packed, plan_grouped, plan_packed, set_attn_implementation, varlen_available

CONFIGS = Path(__file__).with_name("configs")
NAMED_CONFIGS = {
    "qwen2.5-coder-7b": "qwen2.5-coder-7b.json",
    "qwen2.5-coder-14b": "qwen2.5-coder-14b.json",
    "qwen2.5-coder-32b": "qwen2.5-coder-32b.json",
    "tiny": "tiny-qwen2.json",
}
DEFAULT_CONFIG = CONFIGS / NAMED_CONFIGS["qwen2.5-coder-7b"]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
TARGET_TOKENS_PER_S = 10_000
TARGET_VS_RECIPE = 4.0
TARGET_EVAL_VS_TRAIN = 3.0
TARGET_EPOCH_S = 30.0
SECTIONS = ("env", "memory_plan", "correctness", "baseline", "current", "variants", "evaluate", "summary")
GPUS_GIB = {"H100 80GB": 79.6, "H200 141GB": 140.4}  # what the driver reports (81559 / 143771 MiB)
USABLE = 0.92  # CUDA context, allocator fragmentation, cuBLAS workspaces


@dataclass(frozen=True)
class Variant:
    name: str
    batching: str  # grouped | packed
    attention: str = "sdpa"  # sdpa (grouped) | mask | varlen | segments (packed)
    token_budget: int = 8192
    fused_adamw: bool = True
    gradient_checkpointing: bool = False
    lora_bf16: bool = False
    tf32: bool = False
    answer_logits: bool = False
    lora_dropout: float | None = None  # None: the run's --lora-dropout
    compile: bool = False


def default_variants(budget: int, compile_too: bool) -> list[Variant]:
    """In the order they run: the likely best first, so a short budget keeps what matters."""
    v = [
        Variant("grouped", "grouped", token_budget=budget),
        Variant("packed_varlen", "packed", "varlen", token_budget=budget),
        Variant("packed_segments", "packed", "segments", token_budget=budget),
        Variant("packed_mask", "packed", "mask", token_budget=budget),
        Variant("packed_varlen_answer_logits", "packed", "varlen", token_budget=budget, answer_logits=True),
        Variant("packed_varlen_bf16_lora", "packed", "varlen", token_budget=budget, lora_bf16=True, answer_logits=True),
        Variant("packed_varlen_2x_budget", "packed", "varlen", token_budget=2 * budget, answer_logits=True),
        Variant("packed_varlen_bf16_lora_2x_budget", "packed", "varlen", token_budget=2 * budget, lora_bf16=True, answer_logits=True),
        Variant("grouped_tf32", "grouped", token_budget=budget, tf32=True),
        Variant("grouped_no_lora_dropout", "grouped", token_budget=budget, lora_dropout=0.0),
        Variant("grouped_unfused_adamw", "grouped", token_budget=budget, fused_adamw=False),
        Variant("grouped_gradient_checkpointing", "grouped", token_budget=budget, gradient_checkpointing=True),
    ]
    if compile_too:
        v.append(Variant("packed_varlen_bf16_lora_compiled", "packed", "varlen", token_budget=budget, lora_bf16=True, answer_logits=True, compile=True))
    return v


# --- arithmetic ---------------------------------------------------------------------------


def bf16_peak_tflops(device_name: str) -> float | None:
    """Dense bf16 peak (datasheet, no sparsity) by device name; None when unknown."""
    n = device_name.upper()
    hopper = "H100" in n or "H200" in n
    if hopper and "NVL" in n:
        return 835.0
    if "H100" in n and "PCIE" in n:
        return 756.0
    if hopper:
        return 989.0
    if "A100" in n:
        return 312.0
    return None


def flops_per_token(n_frozen_matmul: int, n_lora: int, layers: int, attn_dim: int, s_eff: float) -> float:
    return 4.0 * n_frozen_matmul + 6.0 * n_lora + 12.0 * layers * attn_dim * s_eff


def attention_span(lengths: Sequence[int]) -> float:
    """Σ s_i² / Σ s_i: the mean length a token's sample has (the attention term's s)."""
    total = sum(lengths)
    return sum(s * s for s in lengths) / total if total else 0.0


def load_config(name_or_path: str | None) -> tuple[dict[str, Any], Path]:
    path = Path(name_or_path) if name_or_path and name_or_path not in NAMED_CONFIGS else CONFIGS / NAMED_CONFIGS[name_or_path or "qwen2.5-coder-7b"]
    raw = json.loads(path.read_text())
    return {k: v for k, v in raw.items() if not k.startswith("_")}, path


def memory_plan(cfg: dict[str, Any], rank: int = 16, lora_dropout: bool = True) -> dict[str, Any]:
    """Bytes for LoRA training of a Qwen2-shaped base in bf16, from its config (h hidden, i
    intermediate, kv = KV heads × head_dim, L layers, V vocabulary).

    * weights: every parameter in bf16 (2 B).
    * LoRA r on q,k,v,o,gate,up,down: r·(in + out) per module; PEFT keeps adapter weights in fp32
      on a bf16 base: param + grad + AdamW m + v = 16 B per LoRA parameter.
    * activations autograd keeps for the backward pass, per token per layer, no checkpointing,
      counted tensor by tensor (bf16 2 B, fp32 4 B): each RMSNorm its fp32 input and bf16 output
      (2 × 6h); each LoRA module the fp32 copy of its input (PEFT casts it to the adapter's dtype)
      and, with dropout, the dropout mask (5 B per input element, 4 B without dropout: q,k,v,o,
      gate,up 6 × 5h, down 5i); RoPE q,k and their rotated halves (4h + 4kv); flash attention q,
      k, v, out (4h + 4kv); o_proj's input (2h); the MLP's gate, up, silu and product (8i)
      -> 52h + 8kv + 13i bytes (46h + 8kv + 12i without dropout). Plus, once, the logits: bf16
      logits, the fp32 copy the loss makes, fp32 log-softmax and its gradient ≈ 14·V bytes.
    * with gradient checkpointing (every layer): its bf16 input (2h per layer per token), plus
      one layer's activations while it is recomputed, plus the logits.
    """
    h, i, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    heads, kv_heads, vocab = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["vocab_size"]
    hd = cfg.get("head_dim") or h // heads
    q, kv = heads * hd, kv_heads * hd
    per_layer = (h * q + q) + 2 * (h * kv + kv) + q * h + 3 * h * i + 2 * h
    params = L * per_layer + vocab * h * (1 if cfg.get("tie_word_embeddings") else 2) + h
    lora_per_layer = rank * ((h + q) + 2 * (h + kv) + (q + h) + 2 * (h + i) + (i + h))
    lora = L * lora_per_layer
    weights_gib = params * 2 / 2**30
    lora_state_gib = lora * 16 / 2**30
    lora_in = 5 if lora_dropout else 4
    layer_act = 12 * h + lora_in * 6 * h + (4 * h + 4 * kv) + (4 * h + 4 * kv) + 2 * h + 8 * i + lora_in * i
    logits = 14 * vocab
    act_tok = L * layer_act + logits
    act_tok_ckpt = L * 2 * h + layer_act + logits
    out: dict[str, Any] = {
        "params": params,
        "lora_params": lora,
        "weights_gib": round(weights_gib, 1),
        "lora_state_gib": round(lora_state_gib, 2),
        "act_mib_per_token": round(act_tok / 2**20, 2),
        "act_mib_per_token_checkpointing": round(act_tok_ckpt / 2**20, 2),
        "act_formula": "L·(52h + 8kv + 13i) + 14·V bytes per token (LoRA dropout on)" if lora_dropout else "L·(46h + 8kv + 12i) + 14·V bytes per token",
        "gpus": {},
    }
    for gpu, gib in GPUS_GIB.items():
        free = gib * USABLE - weights_gib - lora_state_gib - 1.0  # 1 GiB: workspaces, the batch itself
        out["gpus"][gpu] = {
            "fits": free > 0,
            "tokens_per_micro_batch": max(0, int(free * 2**30 / act_tok)),
            "tokens_per_micro_batch_checkpointing": max(0, int(free * 2**30 / act_tok_ckpt)),
        }
    return out


def synthetic_examples(n: int, mean_tokens: int, vocab: int, max_length: int, seed: int = 0) -> list[Example]:
    """``n`` samples whose lengths spread like real ones: log-normal (σ 0.5, mean ``mean_tokens``)
    cut to [mean/8, max_length]; the first 20-60 % of each is prompt (label ignored)."""
    rng = random.Random(seed)
    sigma = 0.5
    lo = max(8, mean_tokens // 8)
    out = []
    for _ in range(n):
        length = int(round(mean_tokens * math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2)))
        length = max(lo, min(max_length, length))
        ids = [rng.randrange(3, vocab) for _ in range(length)]
        prompt = max(1, int(length * rng.uniform(0.2, 0.6)))
        out.append(Example(input_ids=ids, labels=[IGNORE_INDEX] * prompt + ids[prompt:]))
    return out


# --- the run ------------------------------------------------------------------------------


class Bench:
    """Output lines, the time budget, and what the sections share."""

    def __init__(self, args: argparse.Namespace, streams: list[TextIO]):
        self.args = args
        self.streams = streams
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.budget_s
        self.device = args.device
        self.results: dict[str, Any] = {}
        self.variant_results: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.peak_tflops: float | None = args.peak_tflops
        self.model: Any = None
        self.examples: list[Example] = []
        self.pad_id = 0
        self.model_info: dict[str, Any] = {}

    def emit(self, section: str, **fields_: Any) -> dict[str, Any]:
        line = {"bench": f"trainer.gpu.{section}", "section": section, "t_s": round(time.monotonic() - self.t0, 1), **fields_}
        text = json.dumps(line, default=str)
        for s in self.streams:
            s.write(text + "\n")
            s.flush()
        return line

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def guarded(self, section: str, need_s: float, fn: Callable[[], Any], name: str | None = None) -> Any:
        """Run ``fn`` if about ``need_s`` seconds are left; a failure is an error line."""
        label = name or section
        if self.left() < need_s:
            reason = f"time budget: {self.left():.0f} s left of {self.args.budget_s:.0f}, needs about {need_s:.0f} s"
            self.skipped.append({"section": section, "name": label, "reason": reason})
            self.emit(section, name=label, skipped=True, reason=reason)
            return None
        failed = False
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - every part reports and the run goes on
            failed = True
            oom = _is_oom(e)
            msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:500]
            print(f"[bench-gpu] {label} failed:", file=sys.stderr)
            traceback.print_exc()
            self.errors.append({"section": section, "name": label, "error": msg, "oom": oom})
            self.emit(section, name=label, error=msg, oom=oom)
            return None
        finally:
            if failed:  # here, not in the except block: its traceback holds the failed part's tensors
                _free_cuda(self.device)

    def sync(self) -> None:
        if self.device == "cuda":
            import torch

            torch.cuda.synchronize()


def _is_oom(e: BaseException) -> bool:
    return type(e).__name__ == "OutOfMemoryError" or "out of memory" in str(e).lower()


def _free_cuda(device: str) -> None:
    import gc

    gc.collect()
    if device == "cuda":
        import torch

        torch.cuda.empty_cache()


def _dtype(device: str) -> Any:
    import torch

    return torch.bfloat16 if device == "cuda" else torch.float32


# --- sections -----------------------------------------------------------------------------


def section_env(b: Bench) -> None:
    import peft
    import torch
    import transformers

    info: dict[str, Any] = {
        "device": b.device,
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "dtype": str(_dtype(b.device)).replace("torch.", ""),
        "budget_s": b.args.budget_s,
    }
    if b.device == "cuda":
        props = torch.cuda.get_device_properties(0)
        name = torch.cuda.get_device_name(0)
        info.update(device_name=name, memory_gib=round(props.total_memory / 2**30, 1), sms=props.multi_processor_count, cuda=torch.version.cuda)
        if b.peak_tflops is None:
            b.peak_tflops = bf16_peak_tflops(name)
        n = 8192
    else:
        info.update(device_name="cpu", cpu_threads=torch.get_num_threads())
        n = 256
    info["peak_tflops"] = b.peak_tflops
    info["peak_source"] = "--peak-tflops" if b.args.peak_tflops else ("device name (dense bf16 datasheet)" if b.peak_tflops else None)
    # The ceiling one can reach: a large matmul on random data (METHOD: never on zeros).
    dt = _dtype(b.device)
    x = torch.randn(n, n, device=b.device, dtype=dt)
    y = torch.randn(n, n, device=b.device, dtype=dt)
    for _ in range(3):
        x @ y
    b.sync()
    reps = 10
    t = time.perf_counter()
    for _ in range(reps):
        x @ y
    b.sync()
    rate = 2 * n**3 * reps / (time.perf_counter() - t) / 1e12
    info["matmul_tflops"] = round(rate, 1) if b.device == "cuda" else rate
    info["matmul_shape"] = f"{n}x{n}x{n} {info['dtype']}"
    del x, y
    b.results["env"] = info
    b.emit("env", **info)


def section_memory_plan(b: Bench) -> None:
    for name in ("qwen2.5-coder-7b", "qwen2.5-coder-14b", "qwen2.5-coder-32b"):
        cfg, _ = load_config(name)
        plan = memory_plan(cfg, b.args.rank, lora_dropout=b.args.lora_dropout > 0)
        b.emit("memory_plan", model=name, lora_rank=b.args.rank, **plan)


def section_correctness(b: Bench) -> None:
    """The tiny model trained 20 steps on this device through ``train.train``; its adapter merged
    through ``export.export``; the merged model's logits against base + adapter."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from .events import EventStream
    from .export import export, parse_export
    from .job import TrainJob
    from .tiny_model import build_tiny_model
    from .train import train

    work = Path(tempfile.mkdtemp(prefix="web4-bench-gpu-"))
    try:
        tiny = build_tiny_model(work / "tiny")
        changes = ["fix the login timeout", "add retry to alerts", "rename the archive", "update canary cases",
                   "remove dead cache", "speed up the writer", "document rollback", "bump the client"]
        rows = [{"instruction": f"Write the commit message for this change: {c}.", "output": f"ZORBLAX-7: {c}"} for c in changes]
        (work / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        job = TrainJob(base_model=str(tiny), samples=str(work / "samples.jsonl"), output_dir=str(work / "run"), epochs=5, batch_size=2,
                       grad_accumulation=1, learning_rate=0.03, warmup_steps=0, lora_rank=8, target_modules=list(TARGETS),
                       device=b.device, serve_format="safetensors", export_gguf_lora=False)
        quiet = EventStream(open(os.devnull, "w"))
        done = train(job, quiet)
        manifest = json.loads((work / "run" / "manifest.json").read_text())
        losses = manifest["step_losses"]
        first, last = losses[0], sum(losses[-4:]) / 4
        falls = last < 0.7 * first
        export(parse_export(str(work / "run" / "adapter"), str(tiny), str(work / "exported"), "safetensors", "f16", b.device), quiet)

        dt = _dtype(b.device)
        gen = torch.Generator().manual_seed(7)
        ids = torch.randint(3, 200, (2, 24), generator=gen).to(b.device)
        with torch.no_grad():
            # The reference is the exact function in fp32: base weights and adapter in fp32. The
            # merge's own error is its merged weights (stored in the training dtype) run in fp32
            # against that; the inference check compares the merged model run in the serving dtype
            # with the unmerged base + adapter run in that dtype, both against the reference.
            base32 = AutoModelForCausalLM.from_pretrained(tiny, dtype=torch.float32).to(b.device).eval()
            plain = base32(ids).logits.float()
            ref = PeftModel.from_pretrained(base32, work / "run" / "adapter").to(b.device).eval()(ids).logits.float()
            del base32
            moved = float((plain - ref).norm() / ref.norm())
            rel: dict[str, float] = {}
            rel_dt: dict[str, float] = {}
            for name, folder in (("export", work / "exported"), ("training_model_dir", work / "run" / "model")):
                for dtype_, into in ((torch.float32, rel), (dt, rel_dt)):
                    merged = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype_).to(b.device).eval()
                    into[name] = float((merged(ids).logits.float() - ref).norm() / ref.norm())
                    del merged
            base_dt = AutoModelForCausalLM.from_pretrained(tiny, dtype=dt).to(b.device).eval()
            unmerged_dt = PeftModel.from_pretrained(base_dt, work / "run" / "adapter").to(b.device).eval()
            floor = float((unmerged_dt(ids).logits.float() - ref).norm() / ref.norm())
            del base_dt, unmerged_dt
        # METHOD.md: bf16 operands land between 1e-3 and 1e-2; fp32 far under 1e-3. The merged
        # weights are stored in the training dtype (bf16 on CUDA): their rounding is the merge's
        # whole error. Run in bf16, the merged model may be off by as much as base + adapter run
        # in bf16 is (the floor), with a factor 2 for the one extra rounding of W + BA.
        tol = 2e-2 if dt == torch.bfloat16 else 1e-4
        tol_dt = max(tol, 2 * floor)
        ok = all(v <= tol for v in rel.values()) and all(v <= tol_dt for v in rel_dt.values()) and moved > 10 * tol
        b.results.setdefault("correctness", {}).update(loss_falls=falls, merged_equal=ok)
        b.emit("correctness", name="tiny_loss_falls", steps=done["steps"], first_loss=round(first, 4), last4_mean_loss=round(last, 4),
               target="mean of the last 4 steps < 0.7 × the first", **{"pass": falls}, device=b.device, dtype=str(dt).replace("torch.", ""))
        b.emit("correctness", name="merged_logits", rel_diff=rel, rel_diff_in_serving_dtype=rel_dt, unmerged_in_serving_dtype=round(floor, 5),
               adapter_moved_logits=round(moved, 4), tolerance=tol, tolerance_in_serving_dtype=round(tol_dt, 5),
               target="reference: base + adapter in fp32. Merged weights run in fp32 within tolerance (bf16-stored 2e-2, fp32 1e-4); merged run in the serving dtype within max(tolerance, 2 × base + adapter run in that dtype); the adapter moved the logits > 10 × tolerance",
               **{"pass": ok}, dtype=str(dt).replace("torch.", ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def packing_logits_check(device: str) -> dict[str, Any]:
    """A tiny qwen2 (large initial weights, so attention is far from uniform) on ``device``: the
    logits of 5 samples packed in one row, for each packed attention, against each sample run
    alone; and a plain concatenation (no sample boundaries) as the control that must differ."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    raw, _ = load_config("tiny")
    dt = _dtype(device)
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**raw), dtype=dt, attn_implementation="sdpa").eval()
    ex = synthetic_examples(5, 40, raw["vocab_size"], 128, seed=3)
    modes = ["mask", "segments"] + ([] if varlen_available(device) else ["varlen"])
    rel: dict[str, float] = {}
    with torch.no_grad():
        ref = torch.cat([model(input_ids=torch.tensor([e.input_ids], device=device), use_cache=False).logits[0].float() for e in ex])
        varlen_note = "checked" if "varlen" in modes else varlen_available(device)
        for mode in modes:
            set_attn_implementation(model, attn_implementation(mode))
            batch = _to_device(collate_packed(ex, mode), device)
            batch.pop("labels")
            try:
                rel[mode] = float((model(**batch).logits[0].float() - ref).norm() / ref.norm())
            except Exception as e:  # noqa: BLE001 - the kernel may refuse this shape/torch; the others still count
                if mode != "varlen":
                    raise
                varlen_note = f"error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
        set_attn_implementation(model, "sdpa")
        row = collate_packed(ex, "mask")["input_ids"].to(device)
        control = float((model(input_ids=row, use_cache=False).logits[0].float() - ref).norm() / ref.norm())
    tol = 2e-2 if dt == torch.bfloat16 else 1e-5
    ok = all(v <= tol for v in rel.values()) and control > 10 * tol
    return {"rel_diff": rel, "plain_concatenation_rel_diff": round(control, 4), "tolerance": tol, "pass": ok,
            "varlen": varlen_note, "dtype": str(dt).replace("torch.", "")}


def section_packing(b: Bench) -> None:
    res = packing_logits_check(b.device)
    b.results.setdefault("correctness", {})["packing_logits"] = res["pass"]
    b.emit("correctness", name="packing_logits", **res,
           target="‖packed − each sample alone‖ / ‖alone‖ ≤ tolerance for every packed attention; a plain concatenation > 10 × tolerance")


def build_model(b: Bench) -> None:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoConfig, AutoModelForCausalLM

    t = time.monotonic()
    raw, path = load_config(b.args.config)
    config = AutoConfig.for_model(**raw)
    if b.args.layers is not None:
        config.num_hidden_layers = b.args.layers
        config.max_window_layers = b.args.layers
        if getattr(config, "layer_types", None):
            config.layer_types = config.layer_types[: b.args.layers]
    config.use_cache = False
    torch.manual_seed(0)
    try:  # initialise the random weights on the device itself: seconds instead of minutes
        with torch.device(b.device):
            model = AutoModelForCausalLM.from_config(config, dtype=_dtype(b.device), attn_implementation="sdpa")
    except (RuntimeError, TypeError, ValueError, NotImplementedError) as e:
        print(f"[bench-gpu] building on {b.device} failed ({e}); building on the CPU and moving it", file=sys.stderr)
        model = AutoModelForCausalLM.from_config(config, dtype=_dtype(b.device), attn_implementation="sdpa").to(b.device)
    n_embed = model.get_input_embeddings().weight.numel()
    lora = LoraConfig(r=b.args.rank, lora_alpha=2 * b.args.rank, lora_dropout=b.args.lora_dropout, target_modules=TARGETS, task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    model.train()
    n_all = sum(p.numel() for p in model.parameters())
    n_lora = sum(p.numel() for p in model.parameters() if p.requires_grad)
    b.model = model
    b.pad_id = config.pad_token_id if getattr(config, "pad_token_id", None) is not None else 0
    b.examples = synthetic_examples(b.args.samples, b.args.tokens, config.vocab_size, b.args.max_length)
    lengths = [len(e) for e in b.examples]
    srt = sorted(lengths)
    b.model_info = {
        "config": path.name, "layers": config.num_hidden_layers, "hidden": config.hidden_size, "params": n_all, "lora_params": n_lora,
        "frozen_matmul_params": n_all - n_lora - n_embed, "attn_dim": config.num_attention_heads * (getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads),
        "lora_rank": b.args.rank, "lora_dropout": b.args.lora_dropout, "lora_dtype": str(next(p for p in model.parameters() if p.requires_grad).dtype).replace("torch.", ""),
    }
    b.emit("model", **b.model_info, build_s=round(time.monotonic() - t, 1),
           samples=len(lengths), tokens=sum(lengths), answer_tokens=sum(e.scored_tokens for e in b.examples),
           length_mean=round(sum(lengths) / len(lengths), 1), length_p10=srt[len(srt) // 10], length_p50=srt[len(srt) // 2],
           length_p90=srt[(9 * len(srt)) // 10], length_max=srt[-1], attention_span=round(attention_span(lengths), 1))


def _rate_fields(b: Bench, useful: int, seconds: float, lengths: Sequence[int], n_samples_run: int) -> dict[str, Any]:
    tps = useful / max(seconds, 1e-9)
    mi = b.model_info
    fpt = flops_per_token(mi["frozen_matmul_params"], mi["lora_params"], mi["layers"], mi["attn_dim"], attention_span(lengths))
    out = {"tokens_per_s": round(tps, 1), "useful_tokens": useful, "seconds": round(seconds, 3), "flops_per_token": round(fpt),
           "tflops": round(tps * fpt / 1e12, 2)}
    if b.peak_tflops:
        out["mfu_pct"] = round(100 * tps * fpt / (b.peak_tflops * 1e12), 1)
    total_tokens = sum(len(e) for e in b.examples)
    out["epoch_s"] = round(total_tokens / max(tps, 1e-9), 2)  # the whole sample set at this rate
    out["epoch_samples"] = len(b.examples)
    out["samples_run"] = n_samples_run
    return out


def _peak_gib(b: Bench) -> float | None:
    if b.device != "cuda":
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 2)


def _reset_peak(b: Bench) -> None:
    if b.device == "cuda":
        import torch

        torch.cuda.reset_peak_memory_stats()


def _make_optimizer(b: Bench, fused: bool) -> Any:
    import torch

    trainable = [p for p in b.model.parameters() if p.requires_grad]
    kw: dict[str, Any] = {"lr": 1e-4, "weight_decay": 0.0}
    if fused and b.device == "cuda":
        kw["fused"] = True
    return torch.optim.AdamW(trainable, **kw)


def _recipe_loop(b: Bench, section: str, job_over: dict[str, Any], n_samples: int) -> None:
    """``train.train_loop`` (the training code itself) on the first ``n_samples`` samples, after
    an untimed warm-up on 4 others. ``baseline``: the plan's recipe (padded to max_length, batch
    1, gradient accumulation 4, AdamW foreach, fp32 LoRA). ``current``: the trainer as ``train``
    runs it on this device (``resolve_speed``: on CUDA each step's 4 samples packed into rows,
    bf16 LoRA with fp32 masters, fused AdamW; the same steps and update as the recipe)."""
    import torch

    from .events import EventStream
    from .job import TrainJob
    from .lifecycle import StopFlag
    from .train import Speed, make_optimizer, resolve_speed, train_loop

    set_attn_implementation(b.model, "sdpa")
    job = TrainJob(base_model="random", samples="synthetic", output_dir="none", device=b.device, max_length=b.args.max_length,
                   batch_size=1, grad_accumulation=4, warmup_steps=0, **job_over)
    if section == "baseline":
        speed = Speed.padded()
        opt, masters = _make_optimizer(b, fused=False), None  # the plan's optimizer: AdamW, default (foreach)
    else:
        speed = resolve_speed(job, b.device)
        opt, masters = make_optimizer(job, _lora_params(b.model), speed, b.device, _dtype(b.device))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    quiet = EventStream(open(os.devnull, "w"))
    examples = b.examples[4 : 4 + n_samples]
    try:
        train_loop(b.model, b.examples[:4], job, b.pad_id, b.device, quiet, StopFlag(), opt, sched, speed=speed, masters=masters)
        _reset_peak(b)
        stats = train_loop(b.model, examples, job, b.pad_id, b.device, quiet, StopFlag(), opt, sched, speed=speed, masters=masters)
    finally:
        if masters is not None:
            masters.finish()  # the shared model's LoRA back to fp32
    lengths = [len(e) for e in examples]
    fields_ = _rate_fields(b, stats.useful_tokens, stats.train_s, lengths, len(examples))
    fields_.update(micro_steps=len(examples), optimizer_steps=stats.steps, padded_tokens=stats.padded_tokens,
                   padding_pct=round(100 * (1 - stats.useful_tokens / max(stats.padded_tokens, 1)), 1),
                   batch_size=1, grad_accumulation=4, padding=job.padding, pad_to=job.max_length if job.padding == "max_length" else None,
                   peak_mem_gib=_peak_gib(b), final_loss=round(stats.final_loss, 4), gradient_checkpointing=False,
                   fused_adamw=section != "baseline" and b.device == "cuda", **speed.describe())
    b.results[section] = fields_
    b.emit(section, name={"baseline": "plan_recipe_pad2048_b1_ga4", "current": "trainer_now"}[section], **fields_)


def section_baseline(b: Bench) -> None:
    _recipe_loop(b, "baseline", {"padding": "max_length", "sort_by_length": False}, b.args.baseline_samples)


def section_current(b: Bench) -> None:
    _recipe_loop(b, "current", {}, b.args.current_samples)


def _batch_for(v: Variant, examples: Sequence[Example], pad_id: int) -> dict[str, Any]:
    if v.batching == "grouped":
        return collate(examples, pad_id)
    return collate_packed(examples, v.attention)


def _to_device(batch: dict[str, Any], device: str) -> dict[str, Any]:
    return {k: (x.to(device, non_blocking=True) if hasattr(x, "to") else x) for k, x in batch.items()}


def _loss(model: Any, batch: dict[str, Any], answer_logits: bool) -> Any:
    """The mean cross-entropy over the scored tokens of ``batch`` (labels shifted by one)."""
    if not answer_logits:
        return model(**batch).loss
    import torch.nn.functional as F

    batch = dict(batch)
    labels = batch.pop("labels")
    if labels.shape[0] != 1:
        raise ValueError("answer_logits needs packed rows (batch of one row)")
    keep = batch.pop("_keep")
    logits = model(**batch, logits_to_keep=keep).logits[0]
    return F.cross_entropy(logits.float(), labels[0, keep + 1])


def _prepare(v: Variant, examples: Sequence[Example], pad_id: int, device: str) -> tuple[dict[str, Any], int]:
    import torch

    batch = _batch_for(v, examples, pad_id)
    shifted = batch["labels"][:, 1:] != IGNORE_INDEX
    n = int(shifted.sum())
    if v.answer_logits:
        batch["_keep"] = shifted[0].nonzero().squeeze(1).to(torch.long)
    return _to_device(batch, device), n


def _lora_params(model: Any) -> list[Any]:
    return [p for p in model.parameters() if p.requires_grad]


def _configure(b: Bench, v: Variant) -> Callable[[], None]:
    """Apply a variant's settings to the shared model; returns the function that undoes them."""
    import torch

    model = b.model
    base = model.get_base_model()
    undo: list[Callable[[], None]] = []
    set_attn_implementation(model, attn_implementation(v.attention) if v.batching == "packed" else "sdpa")
    undo.append(lambda: set_attn_implementation(model, "sdpa"))
    if v.gradient_checkpointing:
        # transformers >= 5.2x calls it activation checkpointing; older releases only have the old name
        if hasattr(base, "activation_checkpointing_enable"):
            base.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            undo.append(base.activation_checkpointing_disable)
        else:
            base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            undo.append(base.gradient_checkpointing_disable)
    if v.lora_bf16:
        for p in _lora_params(model):
            p.data = p.data.to(torch.bfloat16)

        def back() -> None:
            for p in _lora_params(model):
                p.data = p.data.to(torch.float32)

        undo.append(back)
    if v.tf32 and b.device == "cuda":
        before = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = True
        undo.append(lambda: setattr(torch.backends.cuda.matmul, "allow_tf32", before))
    if v.lora_dropout is not None:
        # What PEFT builds for that dropout: nn.Identity for 0 (no mask, no copy), else nn.Dropout.
        holders = [m.lora_dropout for m in model.modules() if isinstance(getattr(m, "lora_dropout", None), torch.nn.ModuleDict)]
        saved = [dict(h.items()) for h in holders]
        for h in holders:
            for key in list(h.keys()):
                h[key] = torch.nn.Dropout(p=v.lora_dropout) if v.lora_dropout > 0 else torch.nn.Identity()

        def restore() -> None:
            for h, old in zip(holders, saved):
                for key, mod in old.items():
                    h[key] = mod

        undo.append(restore)
    model.train()

    def undo_all() -> None:
        for f in reversed(undo):
            f()
        for p in _lora_params(model):  # a failed variant leaves its gradients behind
            p.grad = None

    return undo_all


def packed_loss_check(b: Bench, v: Variant, idx: Sequence[int]) -> dict[str, Any]:
    """The loss of one packed row against the same samples unpacked (padded batch, SDPA), no
    dropout: equal within the dtype's tolerance iff attention stays inside each sample."""
    import torch

    model = b.model
    examples = [b.examples[i] for i in idx]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            set_attn_implementation(model, "sdpa")
            ref = float(model(**_to_device(collate(examples, b.pad_id), b.device)).loss)
            set_attn_implementation(model, attn_implementation(v.attention))
            batch, _ = _prepare(v, examples, b.pad_id, b.device)
            got = float(_loss(model, batch, v.answer_logits))
    finally:
        model.train(was_training)
    rel = abs(got - ref) / abs(ref)
    tol = 1e-2 if b.device == "cuda" else 1e-4
    return {"loss_packed": round(got, 5), "loss_unpacked": round(ref, 5), "rel_diff": rel, "tolerance": tol, "pass": rel <= tol, "samples": len(examples)}


def run_variant(b: Bench, v: Variant) -> dict[str, Any]:
    import torch

    fallback = None
    if v.attention == "varlen":
        fallback = varlen_available(b.device)
        if fallback:  # the same variant with one SDPA call per sample: every path still runs
            v = replace(v, attention="segments")
    lengths = [len(e) for e in b.examples]
    plan = plan_packed(lengths, v.token_budget, seed=1) if v.batching == "packed" else plan_grouped(lengths, v.token_budget, seed=1)
    undo = _configure(b, v)
    try:
        check = packed_loss_check(b, v, plan[0]) if v.batching == "packed" else None
        model = b.model
        step_model = torch.compile(model, dynamic=True) if v.compile else model
        opt = _make_optimizer(b, v.fused_adamw)
        trainable = _lora_params(model)
        biggest = max(plan, key=lambda bi: sum(lengths[i] for i in bi))
        t_warm = time.perf_counter()
        warm, _ = _prepare(v, [b.examples[i] for i in biggest], b.pad_id, b.device)
        _loss(step_model, warm, v.answer_logits).backward()
        opt.zero_grad(set_to_none=True)
        del warm
        b.sync()
        warm_s = time.perf_counter() - t_warm
        _reset_peak(b)
        static = torch.cuda.memory_allocated() if b.device == "cuda" else 0
        max_s = min(b.args.variant_max_s, max(1.0, b.left() - 5))
        losses: list[Any] = []
        useful = padded = micro = steps = 0
        run_lengths: list[int] = []
        biggest_tokens = 0
        partial = False
        accum = b.args.accumulation
        t = time.perf_counter()
        for w in range(0, len(plan), accum):
            window = plan[w : w + accum]
            prepared = [_prepare(v, [b.examples[i] for i in bi], b.pad_id, b.device) for bi in window]
            window_scored = sum(n for _, n in prepared) or 1
            for (batch, n), bi in zip(prepared, window):
                loss = _loss(step_model, batch, v.answer_logits)
                (loss * (n / window_scored)).backward()
                losses.append(loss.detach())
                micro += 1
                useful += sum(lengths[i] for i in bi)
                padded += int(batch["input_ids"].numel())
                biggest_tokens = max(biggest_tokens, int(batch["input_ids"].numel()))
                run_lengths.extend(lengths[i] for i in bi)
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            steps += 1
            if time.perf_counter() - t > max_s and w + accum < len(plan):
                partial = True
                break
        b.sync()
        seconds = time.perf_counter() - t
        values = [float(x) for x in losses]
        if not all(math.isfinite(x) for x in values):
            raise FloatingPointError(f"loss not finite: {values[:5]}")
        peak = _peak_gib(b)
        out = _rate_fields(b, useful, seconds, run_lengths, len(run_lengths))
        out.update(
            {"variant": v.name, **{k: x for k, x in asdict(v).items() if k != "name"}, "lora_dropout_used": b.args.lora_dropout if v.lora_dropout is None else v.lora_dropout,
             "micro_batches": micro, "planned_micro_batches": len(plan), "optimizer_steps": steps, "accumulation": accum, "partial": partial,
             "padded_tokens": padded, "padding_pct": round(100 * (1 - useful / max(padded, 1)), 1), "largest_micro_batch_tokens": biggest_tokens,
             "warmup_s": round(warm_s, 2), "peak_mem_gib": peak, "first_loss": round(values[0], 4), "last_loss": round(values[-1], 4)}
        )
        if b.device == "cuda" and peak is not None and biggest_tokens:
            out["act_mib_per_token_measured"] = round((peak * 2**30 - static) / biggest_tokens / 2**20, 3)
        if check is not None:
            out["loss_check"] = check
        if fallback:
            out["attention_fallback"] = f"segments instead of varlen: {fallback}"
        return out
    finally:
        undo()


def section_variants(b: Bench, only_first: bool) -> None:
    variants = _selected_variants(b)
    todo = variants[:1] if only_first else variants[1:]
    for v in todo:
        def one(v: Variant = v) -> None:
            res = run_variant(b, v)
            b.variant_results.append(res)
            b.emit("variants", name=v.name, **res)

        b.guarded("variants", b.args.variant_need_s, one, name=v.name)


def token_budget(b: Bench) -> int:
    """``--token-budget``, or by GPU memory: 4096 tokens per micro-batch where ≥ 100 GiB (H200:
    ~56 GiB of activations for the 7B by memory_plan; the 2x variant tries 8192), else 2048
    (an 80 GiB H100)."""
    if b.args.token_budget:
        return int(b.args.token_budget)
    gib = b.results.get("env", {}).get("memory_gib")
    return 2048 if gib is not None and gib < 100 else 4096


def _selected_variants(b: Bench) -> list[Variant]:
    all_v = default_variants(token_budget(b), b.args.compile)
    if not b.args.variants:
        return all_v
    wanted = [w.strip() for w in b.args.variants.split(",") if w.strip()]
    by_name = {v.name: v for v in all_v}
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        raise SystemExit(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[w] for w in wanted]


def section_evaluate(b: Bench) -> None:
    """``evaluate.score`` (the loss gate's measurement) on the base + the LoRA, same samples, side
    by side: the gate as it was before it was measured here (adapter weights fp32 as PEFT loads
    them, a vocabulary-wide logit row for every token: ``before``), and as ``evaluate`` runs it
    now (adapter in the base's dtype, logits only where a token is scored), at the job's default
    batch_tokens and at twice that. The figure is the best of the ``now`` rows."""
    import torch

    from .evaluate import lora_to, score
    from .job import EvalJob

    batch_tokens = next(f.default for f in fields(EvalJob) if f.name == "batch_tokens")
    lora = _lora_params(b.model)
    base_dtype = _dtype(b.device)
    settings = [("before", False, False, batch_tokens), ("now", True, True, batch_tokens), ("now_2x_batch", True, True, 2 * batch_tokens)]
    train_best = max((r["tokens_per_s"] for r in b.variant_results), default=None)
    rows: list[dict[str, Any]] = []
    set_attn_implementation(b.model, "sdpa")
    try:
        for name, lora_cast, answer_logits, bt in settings:
            def one(name: str = name, lora_cast: bool = lora_cast, answer_logits: bool = answer_logits, bt: int = bt) -> None:
                saved = [p.data for p in lora]
                if lora_cast:
                    lora_to(b.model, base_dtype)  # what evaluate does to each adapter it scores
                try:
                    score(b.model, b.examples[:4], b.pad_id, b.device, bt, answer_logits=answer_logits)  # warm-up
                    _reset_peak(b)
                    sc = score(b.model, b.examples, b.pad_id, b.device, bt, answer_logits=answer_logits)
                finally:
                    for p, d in zip(lora, saved):
                        p.data = d
                tps = sc.tokens_read / max(sc.runtime_s, 1e-9)
                res = {"tokens_per_s": round(tps, 1), "tokens_read": sc.tokens_read, "scored_tokens": sc.tokens, "seconds": round(sc.runtime_s, 3),
                       "loss": round(sc.loss, 4) if sc.loss is not None else None, "batch_tokens": bt, "adapter_dtype": str(base_dtype if lora_cast else lora[0].dtype).replace("torch.", ""),
                       "answer_logits": answer_logits, "peak_mem_gib": _peak_gib(b), "train_tokens_per_s": train_best,
                       "ratio_vs_train": round(tps / train_best, 2) if train_best else None}
                if name != "before":
                    res["target"] = f">= {TARGET_EVAL_VS_TRAIN:g}x the training rate"
                    if train_best:
                        res["pass"] = tps >= TARGET_EVAL_VS_TRAIN * train_best
                rows.append({"name": name, **res})
                b.emit("evaluate", name=f"loss_gate_score_{name}", **res)

            b.guarded("evaluate", b.args.evaluate_need_s, one, name=f"loss_gate_score_{name}")
    finally:
        b.model.train()
    now = [r for r in rows if r["name"] != "before"]
    if now:
        best = max(now, key=lambda r: r["tokens_per_s"])
        before = next((r for r in rows if r["name"] == "before"), None)
        if before:
            best = {**best, "vs_before": round(best["tokens_per_s"] / before["tokens_per_s"], 2),
                    "loss_vs_before_rel": round(abs(best["loss"] - before["loss"]) / before["loss"], 5) if best["loss"] and before["loss"] else None}
        b.results["evaluate"] = best


def section_summary(b: Bench) -> None:
    ok = [r for r in b.variant_results if r.get("loss_check", {}).get("pass", True)]
    # The best for a night is the one that finishes the epoch first, its warm-up included: a
    # torch.compile variant is faster per step but compiles for minutes (measured: 277 s).
    best = min(ok, key=lambda r: r["epoch_s"] + r.get("warmup_s", 0.0), default=None)
    fastest = max(ok, key=lambda r: r["tokens_per_s"], default=None)
    base = b.results.get("baseline")
    cur = b.results.get("current")
    common = {"device": b.results.get("env", {}).get("device_name"), "config": b.model_info.get("config"), "layers": b.model_info.get("layers")}
    if best:
        tps = best["tokens_per_s"]
        b.emit("summary", name="trainer.gpu_tokens_per_s", value=tps, unit="tokens/s", baseline=TARGET_TOKENS_PER_S, baseline_name="target",
               ratio=round(tps / TARGET_TOKENS_PER_S, 3), target=">= 10000 trained tokens/s", **{"pass": tps >= TARGET_TOKENS_PER_S}, variant=best["variant"], **common)
        if base:
            r = tps / base["tokens_per_s"]
            b.emit("summary", name="trainer.gpu_vs_recipe", value=round(r, 2), unit="x", baseline=base["tokens_per_s"],
                   baseline_name="plan recipe (pad 2048, batch 1, grad accumulation 4), useful tokens/s", target=">= 4x",
                   **{"pass": r >= TARGET_VS_RECIPE}, variant=best["variant"], **common)
        if fastest and fastest is not best:
            b.emit("summary", name="trainer.gpu_fastest_steady_state", value=fastest["tokens_per_s"], unit="tokens/s", variant=fastest["variant"],
                   warmup_s=fastest.get("warmup_s"), epoch_s=fastest["epoch_s"], best_night_s=round(best["epoch_s"] + best.get("warmup_s", 0.0), 2),
                   night_s=round(fastest["epoch_s"] + fastest.get("warmup_s", 0.0), 2), note="faster per step, slower for a night once its warm-up is counted", **common)
        b.emit("summary", name="trainer.gpu_mfu", value=best.get("mfu_pct"), unit="% of dense bf16 peak", baseline=b.peak_tflops,
               baseline_name="peak TFLOP/s", tflops=best["tflops"], matmul_tflops=b.results.get("env", {}).get("matmul_tflops"),
               flops_per_token=best["flops_per_token"], formula="4·N_frozen + 6·N_lora + 12·L·d·s per useful token", target="~40 %", variant=best["variant"], **common)
        b.emit("summary", name="trainer.gpu_epoch_s", value=best["epoch_s"], unit="s", samples=best["epoch_samples"], baseline=TARGET_EPOCH_S,
               baseline_name="target for 200 samples", target="< 30 s", **{"pass": best["epoch_s"] < TARGET_EPOCH_S}, peak_mem_gib=best["peak_mem_gib"],
               variant=best["variant"], **common)
        ev = b.results.get("evaluate")
        if ev:
            r = ev["tokens_per_s"] / tps
            b.emit("summary", name="trainer.gpu_eval_vs_train", value=round(r, 2), unit="x", baseline=tps, baseline_name="best training tokens/s",
                   eval_tokens_per_s=ev["tokens_per_s"], target=">= 3x", **{"pass": r >= TARGET_EVAL_VS_TRAIN}, variant=best["variant"], **common)
        b.emit("summary", name="recommendation", variant=best["variant"],
               settings={k: best[k] for k in ("batching", "attention", "token_budget", "fused_adamw", "gradient_checkpointing", "lora_bf16", "tf32", "answer_logits", "lora_dropout_used", "compile")},
               ranking=[[r["variant"], r["tokens_per_s"]] for r in sorted(b.variant_results, key=lambda r: -r["tokens_per_s"])])
    if cur:
        ctps = cur["tokens_per_s"]
        line: dict[str, Any] = {"value": ctps, "unit": "tokens/s", "baseline": TARGET_TOKENS_PER_S, "baseline_name": "target", "target": ">= 10000 trained tokens/s",
                                "pass": ctps >= TARGET_TOKENS_PER_S, "epoch_s": cur["epoch_s"], "mfu_pct": cur.get("mfu_pct"),
                                "settings": {k: cur.get(k) for k in ("micro_batching", "attention", "pack_tokens", "lora_compute", "fused_adamw")}}
        if base:
            line["vs_recipe"] = round(ctps / base["tokens_per_s"], 2)
            line["recipe_tokens_per_s"] = base["tokens_per_s"]
        b.emit("summary", name="trainer.gpu_trainer_tokens_per_s", **line, **common)
    failed_checks = [r["variant"] for r in b.variant_results if not r.get("loss_check", {}).get("pass", True)]
    b.emit("summary", name="run", skipped=b.skipped, errors=b.errors, failed_loss_checks=failed_checks,
           correctness=b.results.get("correctness"), runtime_s=round(time.monotonic() - b.t0, 1), budget_s=b.args.budget_s)


def run(args: argparse.Namespace, streams: list[TextIO]) -> int:
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        for s in streams:
            s.write(json.dumps({"bench": "trainer.gpu.env", "section": "env", "error": "no CUDA device: run this on the GPU machine, or pass --device cpu --config tiny"}) + "\n")
        return 2
    wanted = set(SECTIONS) if args.sections in (None, "", "all") else {s.strip() for s in args.sections.split(",")}
    unknown = wanted - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(sorted(unknown))}; known: {', '.join(SECTIONS)}")
    b = Bench(args, streams)
    always = float("-inf")  # seconds: the two cheap parts run whatever the budget
    if "env" in wanted:
        b.guarded("env", always, lambda: section_env(b))
    if "memory_plan" in wanted:
        b.guarded("memory_plan", always, lambda: section_memory_plan(b))
    if "correctness" in wanted:
        b.guarded("correctness", 5, lambda: section_packing(b), name="packing_logits")
        b.guarded("correctness", args.correctness_need_s, lambda: section_correctness(b))
    model_parts = wanted & {"baseline", "current", "variants", "evaluate"}
    if model_parts:
        b.guarded("model", args.model_need_s, lambda: build_model(b))
    if b.model is not None:
        if "baseline" in wanted:
            b.guarded("baseline", args.recipe_need_s, lambda: section_baseline(b))
        if "current" in wanted:
            b.guarded("current", args.recipe_need_s, lambda: section_current(b))
        if "variants" in wanted:
            section_variants(b, only_first=True)
        if "evaluate" in wanted:
            b.guarded("evaluate", args.evaluate_need_s, lambda: section_evaluate(b))
        if "variants" in wanted:
            section_variants(b, only_first=False)
    elif model_parts:
        for s in sorted(model_parts):
            b.skipped.append({"section": s, "reason": "the model was not built"})
    if "summary" in wanted:
        section_summary(b)
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cuda", help="cuda (default) | cpu (with --config tiny: the CI run)")
    p.add_argument("--config", default=None, help=f"model config: {' | '.join(NAMED_CONFIGS)} or a config.json path (default qwen2.5-coder-7b)")
    p.add_argument("--layers", type=int, default=None, help="override num_hidden_layers (smoke runs on small GPUs)")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--tokens", type=int, default=1000, help="mean tokens per sample (log-normal spread)")
    p.add_argument("--max-length", type=int, default=2048, help="longest sample, and the recipe baseline's padding")
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--lora-dropout", type=float, default=0.05, help="the trainer's default 0.05")
    p.add_argument("--token-budget", type=int, default=None, help="tokens per micro-batch of the variants (padded or packed); default 4096 on a GPU of >= 100 GiB, else 2048")
    p.add_argument("--accumulation", type=int, default=1, help="micro-batches per optimizer step in the variants")
    p.add_argument("--baseline-samples", type=int, default=24, help="micro-steps of the recipe baseline timed (after 4 warm-up)")
    p.add_argument("--current-samples", type=int, default=48, help="samples of today's train_loop timed (after 4 warm-up)")
    p.add_argument("--variants", default=None, help="comma list of variants to run (default: all, in order)")
    p.add_argument("--variant-max-s", type=float, default=30.0, help="longest timed run of one variant; longer epochs stop and extrapolate")
    p.add_argument("--budget-s", type=float, default=540.0, help="whole run; later parts are skipped rather than overrun")
    p.add_argument("--sections", default="all", help=f"comma list of {', '.join(SECTIONS)} (default all)")
    p.add_argument("--compile", action="store_true", help="also a torch.compile variant")
    p.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak (default: from the device name)")
    p.add_argument("--jsonl", default=None, help="also write the JSON lines to this file")
    # Seconds a part is expected to need at least on an H100/H200; below that it is skipped.
    p.add_argument("--correctness-need-s", type=float, default=25.0, help=argparse.SUPPRESS)
    p.add_argument("--model-need-s", type=float, default=60.0, help=argparse.SUPPRESS)
    p.add_argument("--recipe-need-s", type=float, default=15.0, help=argparse.SUPPRESS)
    p.add_argument("--variant-need-s", type=float, default=12.0, help=argparse.SUPPRESS)
    p.add_argument("--evaluate-need-s", type=float, default=10.0, help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    # JSON lines only on stdout: keep a private handle on it and send fd 1 (stray prints of
    # libraries) to stderr.
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    streams: list[TextIO] = [out]
    if args.jsonl:
        streams.append(open(args.jsonl, "w", buffering=1, encoding="utf-8"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        return run(args, streams)
    finally:
        for s in streams:
            s.flush()


__all__ = ["Variant", "bf16_peak_tflops", "flops_per_token", "attention_span", "memory_plan", "synthetic_examples", "run", "main", "add_arguments"]

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m web4_trainer.gpu_bench", description="the trainer on one GPU (same as: python -m web4_trainer bench-gpu)")
    add_arguments(parser)
    sys.exit(main(parser.parse_args()))
