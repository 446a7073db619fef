"""The training run: job -> LoRA on the base model -> output folder, reporting via events.

Everything is written into a hidden sibling folder first and renamed to ``output_dir`` only
when complete, so a failed or interrupted run leaves no half-written adapter behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .data import Example, collate, plan_batches, read_samples, tokenize_samples
from .events import EventStream, TrainerError, bad_input
from .job import TrainJob

log = lambda msg: print(f"[web4_trainer] {msg}", file=sys.stderr, flush=True)  # noqa: E731


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop checks it between micro-batches and between writes.
    A second signal stops at once (the temporary folder is still removed)."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def install(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            if self.signal is not None:
                raise KeyboardInterrupt
            self.signal = signum
            log(f"received signal {signum}: stopping after the current step")

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def check(self) -> None:
        if self.signal is not None:
            raise TrainerError("interrupted", f"training interrupted by signal {self.signal}; no output was written")


def sha256_path(path: str) -> str:
    """Checksum of a file, or of a model folder's config and weight files."""
    h = hashlib.sha256()
    p = Path(path)
    files = [p] if p.is_file() else sorted(
        f for f in p.iterdir() if f.suffix in (".safetensors", ".bin", ".gguf") or f.name == "config.json"
    )
    for f in files:
        if p.is_dir():
            h.update(f.name.encode())
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
    return h.hexdigest()


def choose_device(job: TrainJob) -> tuple[str, Any]:
    import torch

    cuda = torch.cuda.is_available()
    if job.device == "cuda" and not cuda:
        raise bad_input('device "cuda" was requested but no CUDA device is available', 'use device "auto" or "cpu"')
    device = "cuda" if job.device == "cuda" or (job.device == "auto" and cuda) else "cpu"
    if device == "cuda":
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return device, torch.float32


def load_base(job: TrainJob, dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if job.base_is_gguf:
        where, kwargs = os.path.dirname(job.base_model), {"gguf_file": os.path.basename(job.base_model)}
    else:
        where, kwargs = job.base_model, {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype, **kwargs)
    except (OSError, ValueError) as e:
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        hint = "point base_model at a local model folder or .gguf file" + (" (HF_HUB_OFFLINE=1: nothing is downloaded)" if offline else "")
        raise bad_input(f"cannot load base model {job.base_model}: {str(e).splitlines()[0]}", hint) from None
    if getattr(model.config, "quantization_config", None) is not None and job.base_is_gguf:
        # The GGUF was dequantized on load; the merged model we save is a plain float model.
        del model.config.quantization_config
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


def attach_lora(job: TrainJob, model: Any) -> Any:
    from peft import LoraConfig, PeftModel, get_peft_model

    if job.parent_adapter:
        try:
            return PeftModel.from_pretrained(model, job.parent_adapter, is_trainable=True)
        except (OSError, ValueError, RuntimeError, KeyError) as e:
            raise bad_input(f"parent_adapter {job.parent_adapter} does not fit the base model: {str(e).splitlines()[0]}") from None
    config = LoraConfig(
        r=job.lora_rank,
        lora_alpha=job.lora_alpha,
        lora_dropout=job.lora_dropout,
        target_modules=list(job.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    try:
        return get_peft_model(model, config)
    except ValueError as e:
        raise bad_input(f"target_modules {job.target_modules} do not fit the model: {str(e).splitlines()[0]}") from None


def _limit_memory(mb: int) -> int:
    """Cap the address space at what is in use now + ``mb``; returns the previous soft limit."""
    import resource

    import torch

    # Start torch's OpenMP worker threads now: created after the limit, their stacks would not
    # fit and libgomp aborts the process instead of raising an error we can report.
    torch.mm(torch.ones(512, 512), torch.ones(512, 512))

    with open("/proc/self/statm") as f:
        vm_bytes = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = vm_bytes + mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    return soft


def _restore_memory_limit(soft: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _is_oom(e: BaseException) -> bool:
    if isinstance(e, MemoryError):
        return True
    name = type(e).__name__
    text = str(e).lower()
    return name == "OutOfMemoryError" or "out of memory" in text or "can't allocate memory" in text or "cannot allocate memory" in text


def train(job: TrainJob, events: EventStream, stop: StopFlag | None = None, on_step: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run the job; returns the ``done`` event's fields. Raises TrainerError on failure."""
    stop = stop or StopFlag()
    t0 = time.monotonic()
    out = Path(job.output_dir)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        return _train(job, events, stop, t0, out, tmp, on_step)
    except TrainerError:
        raise
    except KeyboardInterrupt:
        raise TrainerError("interrupted", "training interrupted; no output was written") from None
    except BaseException as e:  # classify, never leak a traceback as the only signal
        if _is_oom(e):
            raise TrainerError("oom", f"out of memory: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT):
            raise TrainerError("io", f"cannot write the output: {e}") from None
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _train(job: TrainJob, events: EventStream, stop: StopFlag, t0: float, out: Path, tmp: Path, on_step: Callable[[int], None] | None) -> dict[str, Any]:
    import torch

    if job.threads:
        torch.set_num_threads(job.threads)
    torch.manual_seed(job.seed)
    device, dtype = choose_device(job)
    samples, samples_sha = read_samples(job.samples)
    stop.check()

    log(f"loading base model {job.base_model} on {device} ({str(dtype).replace('torch.', '')})")
    tokenizer, model = load_base(job, dtype)
    stop.check()
    examples: list[Example] = tokenize_samples(tokenizer, samples, job.max_length)
    model.config.use_cache = False
    if job.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    torch.manual_seed(job.seed)  # the LoRA init does not depend on how loading used the RNG
    model = attach_lora(job, model)
    model.to(device)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_trainable = sum(p.numel() for p in trainable)
    n_total = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(trainable, lr=job.learning_rate, weight_decay=job.weight_decay)
    warmup = job.warmup_steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) if warmup > 0 else 1.0)
    previous_limit = _limit_memory(job.memory_limit_mb) if job.memory_limit_mb and device == "cpu" else None

    events.start(
        samples=len(examples),
        truncated=sum(e.truncated for e in examples),
        tokens=sum(len(e) for e in examples),
        answer_tokens=sum(e.answer_tokens for e in examples),
        steps=planned_steps(len(examples), job),
        epochs=job.epochs,
        device=device,
        dtype=str(dtype).replace("torch.", ""),
        trainable_params=n_trainable,
        total_params=n_total,
        parent_adapter=job.parent_adapter,
        load_s=round(time.monotonic() - t0, 2),
    )
    stats = train_loop(model, examples, job, tokenizer.pad_token_id, device, events, stop, optimizer, scheduler, on_step)
    if previous_limit is not None:  # the cap guards training; writing the outputs may need more
        _restore_memory_limit(previous_limit)
    step, step_losses, useful_tokens, padded_tokens = stats.steps, stats.step_losses, stats.useful_tokens, stats.padded_tokens
    train_s, final_loss = stats.train_s, stats.final_loss

    stop.check()
    tmp.mkdir(parents=True)
    files: dict[str, Any] = {}
    model.save_pretrained(str(tmp / "adapter"))
    tokenizer.save_pretrained(str(tmp / "adapter"))
    files["adapter"] = "adapter"
    stop.check()
    from .export_gguf import write_lora_gguf, write_merged_gguf

    if job.export_gguf_lora:
        try:
            files["adapter_gguf"] = write_lora_gguf(model, tmp / "adapter.gguf")
        except TrainerError as e:  # optional output: the merged model is what serves
            log(f"adapter.gguf not written: {e.message}")
    stop.check()
    serve_format = job.serve_format
    if serve_format == "auto":
        serve_format = "gguf" if job.base_is_gguf else "safetensors"
    if serve_format != "none":
        t_merge = time.monotonic()
        merged = model.merge_and_unload()
        (tmp / "model").mkdir()
        if serve_format == "gguf":
            info = write_merged_gguf(merged, job.base_model, tmp / "model" / "model.gguf", dtype=job.gguf_dtype)
        else:
            merged.save_pretrained(str(tmp / "model"), safe_serialization=True)
            tokenizer.save_pretrained(str(tmp / "model"))
            info = {"bytes": sum(f.stat().st_size for f in (tmp / "model").iterdir())}
        files["model"] = {"dir": "model", "format": serve_format, "merge_s": round(time.monotonic() - t_merge, 2), **info}
    stop.check()

    runtime = time.monotonic() - t0
    manifest = {
        "format": "web4-trainer/1",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base_model": job.base_model,
        "base_model_sha256": sha256_path(job.base_model) if os.path.exists(job.base_model) else None,
        "parent_adapter": job.parent_adapter,
        "samples": {"file": job.samples, "count": len(examples), "sha256": samples_sha, "truncated": sum(e.truncated for e in examples)},
        "hyperparameters": {k: v for k, v in job.to_dict().items() if k not in ("base_model", "samples", "output_dir", "parent_adapter")},
        "model_type": getattr(model.config, "model_type", None),
        "chat_template": getattr(tokenizer, "chat_template", None),
        "eos_token": tokenizer.eos_token,
        "final_loss": final_loss,
        "first_step_loss": step_losses[0] if step_losses else None,
        "last_step_loss": step_losses[-1] if step_losses else None,
        "step_losses": step_losses,
        "steps": step,
        "tokens_trained": useful_tokens,
        "tokens_with_padding": padded_tokens,
        "train_s": round(train_s, 3),
        "train_cpu_s": round(stats.train_cpu_s, 3),
        "runtime_s": round(runtime, 3),
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "trainable_params": n_trainable,
        "files": files,
        "versions": _versions(),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if out.exists():
        out.rmdir()  # validated empty by the job check
    os.rename(tmp, out)
    model_dir = str(out / "model") if "model" in files else None
    return events.done(
        output_dir=str(out),
        adapter_dir=str(out / "adapter"),
        model_dir=model_dir,
        model_format=serve_format if model_dir else None,
        adapter_gguf=str(out / "adapter.gguf") if "adapter_gguf" in files else None,
        manifest=str(out / "manifest.json"),
        loss=final_loss,
        first_loss=manifest["first_step_loss"],
        last_loss=manifest["last_step_loss"],
        steps=step,
        tokens_trained=useful_tokens,
        tokens_per_s=useful_tokens / max(train_s, 1e-9),
        train_s=round(train_s, 3),
        train_cpu_s=round(stats.train_cpu_s, 3),
        runtime_s=round(runtime, 3),
    )


def planned_steps(n_examples: int, job: TrainJob) -> int:
    return math.ceil(math.ceil(n_examples / job.batch_size) / job.grad_accumulation) * job.epochs


@dataclass
class LoopStats:
    steps: int
    step_losses: list[float]
    useful_tokens: int
    padded_tokens: int
    train_s: float
    final_loss: float
    train_cpu_s: float
    """CPU time of all the process's threads during the loop: on a shared machine it tracks the
    work done far better than wall time does."""


def train_loop(
    model: Any,
    examples: list[Example],
    job: TrainJob,
    pad_id: int,
    device: str,
    events: EventStream,
    stop: StopFlag,
    optimizer: Any,
    scheduler: Any,
    on_step: Callable[[int], None] | None = None,
) -> LoopStats:
    """The optimisation loop shared by training and the GPU benchmark. Counts useful tokens
    (not padding) and reports a progress event after each optimizer step."""
    import torch

    trainable = [p for p in model.parameters() if p.requires_grad]
    lengths = [len(e) for e in examples]
    total_steps = planned_steps(len(examples), job)
    pad_to = job.max_length if job.padding == "max_length" else None
    step = 0
    step_losses: list[float] = []
    useful_tokens = 0
    padded_tokens = 0
    t_train = time.monotonic()
    cpu_train = time.process_time()
    last_epoch_loss_sum = 0.0
    last_epoch_tokens = 0
    for epoch in range(job.epochs):
        batches = plan_batches(lengths, job.batch_size, job.sort_by_length, job.seed + epoch)
        last_epoch_loss_sum, last_epoch_tokens = 0.0, 0
        for g in range(0, len(batches), job.grad_accumulation):
            window = batches[g : g + job.grad_accumulation]
            # Token-weighted mean over the whole accumulation window: the update does not
            # depend on how the window is split into micro-batches.
            window_answer = sum(examples[i].answer_tokens for b in window for i in b) or 1
            window_loss = 0.0
            for b in window:
                stop.check()
                batch = collate([examples[i] for i in b], pad_id, pad_to)
                n_answer = int((batch["labels"] != -100).sum())
                useful_tokens += int(batch["attention_mask"].sum())
                padded_tokens += int(batch["attention_mask"].numel())
                batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
                loss = model(**batch).loss
                if n_answer:
                    (loss * (n_answer / window_answer)).backward()
                    window_loss += float(loss.detach()) * n_answer
            torch.nn.utils.clip_grad_norm_(trainable, job.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            step_loss = window_loss / window_answer
            step_losses.append(step_loss)
            last_epoch_loss_sum += window_loss
            last_epoch_tokens += window_answer
            if not math.isfinite(step_loss):
                raise TrainerError("internal", f"loss became {step_loss} at step {step}", "lower learning_rate")
            elapsed = time.monotonic() - t_train
            events.progress(
                step=step,
                total=total_steps,
                loss=step_loss,
                tokens_per_s=useful_tokens / max(elapsed, 1e-9),
                eta_s=elapsed / step * (total_steps - step),
                epoch=epoch + 1,
                lr=scheduler.get_last_lr()[0],
            )
            if on_step:
                on_step(step)
    if device == "cuda":
        torch.cuda.synchronize()
    return LoopStats(
        step, step_losses, useful_tokens, padded_tokens, time.monotonic() - t_train,
        last_epoch_loss_sum / max(last_epoch_tokens, 1), time.process_time() - cpu_train,
    )


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
