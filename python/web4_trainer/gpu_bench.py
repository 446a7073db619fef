"""GPU throughput of the trainer's own loop on a Qwen2.5-Coder-7B-shaped model.

    python -m web4_trainer bench-gpu            (python/.venv/bin/python on a CUDA machine)

The model is built from the real config (configs/qwen2.5-coder-7b.json) with random weights —
nothing can be downloaded, and throughput does not depend on the values. bf16, LoRA rank 16 on
attention and MLP (q,k,v,o,gate,up,down), 200 samples of about 1,000 tokens (lengths spread
±10%, half of each is answer tokens), batches sorted by length and padded to their own longest,
the same ``train_loop`` that training uses. One JSON line per figure on stdout.

FLOPs per trained token (model FLOPs, the usual MFU convention, recomputation not counted):
  * frozen weights N_frozen: forward 2·N + backward 2·N (gradients w.r.t. activations only,
    the weight gradients are not computed) = 4·N_frozen
  * LoRA weights N_lora: the full 6·N_lora
  * attention scores and values: forward 4·L·s·d (QKᵀ and AV, s = sequence length,
    d = hidden size, counted without the causal half), backward twice that = 12·L·s·d
so flops/token = 4·N_frozen + 6·N_lora + 12·L·s·d, and MFU = tokens/s · flops/token / peak
(H100 SXM dense bf16 peak: 989 TFLOP/s). The 6·N "full fine-tuning" figure is printed too.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from .data import IGNORE_INDEX, Example
from .events import EventStream
from .job import TrainJob
from .train import StopFlag, train_loop

DEFAULT_CONFIG = Path(__file__).with_name("configs") / "qwen2.5-coder-7b.json"
TARGET_TOKENS_PER_S = 10_000


def synthetic_examples(n: int, tokens: int, vocab: int, seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        length = rng.randint(int(tokens * 0.9), int(tokens * 1.1))
        ids = [rng.randrange(3, vocab) for _ in range(length)]
        half = length // 2
        out.append(Example(input_ids=ids, labels=[IGNORE_INDEX] * half + ids[half:]))
    return out


def build_model(config_path: Path, layers: int | None, device: str, dtype: Any) -> Any:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    raw = {k: v for k, v in json.loads(config_path.read_text()).items() if not k.startswith("_")}
    config = AutoConfig.for_model(**raw)
    if layers is not None:
        config.num_hidden_layers = layers
        config.max_window_layers = layers
    config.use_cache = False
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype, attn_implementation="sdpa")
    return model


def main(args: argparse.Namespace) -> int:
    import torch
    from peft import LoraConfig, get_peft_model

    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"bench": "trainer.gpu", "error": "no CUDA device: run this on the GPU machine (python -m web4_trainer bench-gpu)"}))
        return 2
    dtype = torch.bfloat16
    t0 = time.monotonic()
    model = build_model(Path(args.config or DEFAULT_CONFIG), args.layers, args.device, dtype)
    cfg = model.config
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    model = get_peft_model(model, LoraConfig(r=args.rank, lora_alpha=2 * args.rank, lora_dropout=0.0, target_modules=targets, task_type="CAUSAL_LM"))
    model.train()
    build_s = time.monotonic() - t0
    n_lora = sum(p.numel() for p in model.parameters() if p.requires_grad)
    n_all = sum(p.numel() for p in model.parameters())
    n_embed = cfg.vocab_size * cfg.hidden_size  # the input embedding is a lookup, not a matmul
    n_frozen_matmul = n_all - n_lora - n_embed

    job = TrainJob(base_model="random", samples="synthetic", output_dir="none", batch_size=args.batch_size, grad_accumulation=1,
                   learning_rate=1e-4, warmup_steps=0, epochs=1, device=args.device, gradient_checkpointing=args.gradient_checkpointing)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=job.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    quiet = EventStream(open("/dev/null", "w"))

    # Warm-up (kernels, allocator) on a few batches, not timed.
    warm = synthetic_examples(args.batch_size * 2, args.tokens, cfg.vocab_size, seed=1)
    train_loop(model, warm, job, 0, args.device, quiet, StopFlag(), optimizer, scheduler)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    examples = synthetic_examples(args.samples, args.tokens, cfg.vocab_size)
    stats = train_loop(model, examples, job, 0, args.device, quiet, StopFlag(), optimizer, scheduler)
    tps = stats.useful_tokens / stats.train_s
    avg_len = stats.useful_tokens / len(examples)
    flops_per_token = 4 * n_frozen_matmul + 6 * n_lora + 12 * cfg.num_hidden_layers * avg_len * cfg.hidden_size
    mfu = tps * flops_per_token / (args.peak_tflops * 1e12)
    device_name = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    peak_mem = torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else None
    common = {"device": device_name, "layers": cfg.num_hidden_layers, "samples": len(examples), "batch_size": args.batch_size,
              "lora_rank": args.rank, "params": n_all, "lora_params": n_lora, "gradient_checkpointing": args.gradient_checkpointing}
    lines = [
        {"bench": "trainer.gpu_tokens_per_s", "value": round(tps), "unit": "tokens/s", "baseline": TARGET_TOKENS_PER_S,
         "baseline_name": "target (200 samples × 1,000 tokens in < 30 s)", "ratio": round(tps / TARGET_TOKENS_PER_S, 3),
         "target": ">= 10000 tokens/s on one H100", "pass": tps >= TARGET_TOKENS_PER_S, **common},
        {"bench": "trainer.gpu_mfu", "value": round(mfu * 100, 1), "unit": "% of peak", "baseline": args.peak_tflops,
         "baseline_name": "dense bf16 peak TFLOP/s", "ratio": round(mfu, 4), "target": "informational",
         "pass": True, "flops_per_token": flops_per_token, "six_n_tflops": round(tps * 6 * (n_all - n_embed) / 1e12, 1), **common},
        {"bench": "trainer.gpu_200_samples_s", "value": round(stats.train_s * 200 / len(examples), 2), "unit": "s", "baseline": 30, "baseline_name": "target",
         "ratio": round(stats.train_s / 30, 3), "target": "< 30 s (the plan expected 2-3 h); scaled to 200 samples", "pass": stats.train_s * 200 / len(examples) < 30,
         "final_loss": round(stats.final_loss, 4), "build_s": round(build_s, 1), "peak_mem_gib": None if peak_mem is None else round(peak_mem, 1), **common},
    ]
    for line in lines:
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    from .__main__ import main as cli

    sys.exit(cli(["bench-gpu", *sys.argv[1:]]))
