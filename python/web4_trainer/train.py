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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .data import Example, collate, plan_batches, read_samples, tokenize_samples
from .events import EventStream, TrainerError, bad_input
from .job import TrainJob
from .lifecycle import StopFlag, log

__all__ = ["StopFlag", "train", "train_loop", "resolve_speed", "Speed", "make_optimizer", "planned_steps", "effective_epochs", "write_servable_model", "load_model", "partial_path"]


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


def choose_device(job: Any) -> tuple[str, Any]:
    """``job.device`` (auto | cpu | cuda) -> (device, dtype): bf16 on CUDA (fp16 where bf16 is
    missing), fp32 on CPU."""
    import torch

    cuda = torch.cuda.is_available()
    if job.device == "cuda" and not cuda:
        raise bad_input('device "cuda" was requested but no CUDA device is available', 'use device "auto" or "cpu"')
    device = "cuda" if job.device == "cuda" or (job.device == "auto" and cuda) else "cpu"
    if device == "cuda":
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return device, torch.float32


def _where(path: str) -> tuple[str, dict[str, Any]]:
    if path.lower().endswith(".gguf"):
        return os.path.dirname(path), {"gguf_file": os.path.basename(path)}
    return path, {}


def _load_error(what: str, path: str, e: BaseException) -> TrainerError:
    offline = os.environ.get("HF_HUB_OFFLINE") == "1"
    hint = f"point {what} at a local model folder or .gguf file" + (" (HF_HUB_OFFLINE=1: nothing is downloaded)" if offline else "")
    return bad_input(f"cannot load {what.replace('_', ' ')} {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}", hint)


def load_tokenizer(path: str, what: str = "base_model") -> Any:
    from transformers import AutoTokenizer

    where, kwargs = _where(path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
    except (OSError, ValueError) as e:
        raise _load_error(what, path, e) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, dtype: Any, what: str = "base_model") -> Any:
    """A causal LM from a Hugging Face folder (or hub id) or a ``.gguf`` file (dequantized to
    ``dtype``). ``what`` names the job field in the error a broken model gives."""
    from transformers import AutoModelForCausalLM

    where, kwargs = _where(path)
    try:
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype, **kwargs)
    except (OSError, ValueError) as e:
        raise _load_error(what, path, e) from None
    if getattr(model.config, "quantization_config", None) is not None and path.lower().endswith(".gguf"):
        # The GGUF was dequantized on load; the merged model we save is a plain float model.
        del model.config.quantization_config
    return model


def load_base(job: Any, dtype: Any) -> tuple[Any, Any]:
    return load_tokenizer(job.base_model), load_model(job.base_model, dtype)


def resolve_serve_format(serve_format: str, base_model: str) -> str:
    """``auto`` -> ``gguf`` for a ``.gguf`` base (its metadata is copied), else ``safetensors``."""
    if serve_format == "auto":
        return "gguf" if base_model.lower().endswith(".gguf") else "safetensors"
    return serve_format


def write_servable_model(peft_model: Any, tokenizer: Any, base_model: str, dest: Path, serve_format: str, gguf_dtype: str = "f16") -> dict[str, Any]:
    """Merge the LoRA into the base weights (``merge_and_unload``; ``peft_model`` is consumed)
    and write the model Ollama serves into the new folder ``dest``: ``model.gguf`` under the
    base GGUF's metadata, or a safetensors folder with the tokenizer. Returns what was written
    (``format``, ``bytes``, ``merge_s`` …)."""
    from .export_gguf import write_merged_gguf

    serve_format = resolve_serve_format(serve_format, base_model)
    if serve_format not in ("gguf", "safetensors"):
        raise ValueError(f"serve_format {serve_format!r}")
    t_merge = time.monotonic()
    merged = peft_model.merge_and_unload()
    # Training turns the KV cache off; the served model's config asks for it again (generation
    # wants it), so a training run and an ``export`` of its adapter write the same config.
    merged.config.use_cache = True
    dest.mkdir()
    if serve_format == "gguf":
        info = write_merged_gguf(merged, base_model, dest / "model.gguf", dtype=gguf_dtype)
    else:
        merged.save_pretrained(str(dest), safe_serialization=True)
        tokenizer.save_pretrained(str(dest))
        info = {"bytes": sum(f.stat().st_size for f in dest.iterdir() if f.is_file())}
    return {"format": serve_format, "merge_s": round(time.monotonic() - t_merge, 2), **info}


def partial_path(out: Path) -> Path:
    """The hidden sibling an output is written into before the final rename."""
    return out.parent / f".{out.name}.partial-{os.getpid()}"


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

    _allocate_large_blocks_fresh()
    with open("/proc/self/statm") as f:
        vm_bytes = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = vm_bytes + mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    return soft


def _allocate_large_blocks_fresh() -> None:
    """Make the limit hold whatever ran before: glibc keeps freed memory in its arenas and hands
    it out again without asking the kernel, so a training small enough to fit in what an earlier
    step freed would never meet the limit. Blocks of 64 KiB and more are mapped afresh (and given
    back when freed), and what the heap holds free now is returned first."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return  # not glibc
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 64 * 1024)
    libc.mallopt(m_trim_threshold, 0)
    libc.malloc_trim(0)


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
    tmp = partial_path(out)
    stop.add_cleanup(tmp)
    try:
        return _train(job, events, stop, t0, out, tmp, on_step)
    except TrainerError:
        raise
    except BaseException as e:  # classify, never leak a traceback as the only signal
        raise classify_failure(e, "training") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def classify_failure(e: BaseException, activity: str) -> BaseException:
    """The protocol error for an exception that escaped the work (or ``e`` itself when it is
    none of interrupt, out of memory, or an unwritable output)."""
    if isinstance(e, TrainerError):
        return e
    if isinstance(e, KeyboardInterrupt):
        return TrainerError("interrupted", f"{activity} interrupted; no output was written")
    if _is_oom(e):
        return TrainerError("oom", f"out of memory: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT):
        return TrainerError("io", f"cannot write the output: {e}")
    # Writers in native code (safetensors, gguf) report a full disk as their own error type,
    # with the OS error only in the text.
    text = str(e)
    if "No space left on device" in text or "os error 28" in text or "Disk quota exceeded" in text:
        return TrainerError("io", f"cannot write the output: {text.splitlines()[0]}")
    return e


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
    speed = resolve_speed(job, device)
    optimizer, masters = make_optimizer(job, trainable, speed, device, dtype)
    warmup = job.warmup_steps
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) if warmup > 0 else 1.0)
    previous_limit = _limit_memory(job.memory_limit_mb) if job.memory_limit_mb and device == "cpu" else None

    events.start(
        samples=len(examples),
        truncated=sum(e.truncated for e in examples),
        tokens=sum(len(e) for e in examples),
        answer_tokens=sum(e.answer_tokens for e in examples),
        steps=planned_steps(len(examples), job),
        epochs=effective_epochs(len(examples), job),
        device=device,
        dtype=str(dtype).replace("torch.", ""),
        speed=speed.describe(),
        trainable_params=n_trainable,
        total_params=n_total,
        parent_adapter=job.parent_adapter,
        load_s=round(time.monotonic() - t0, 2),
    )
    stats = train_loop(model, examples, job, tokenizer.pad_token_id, device, events, stop, optimizer, scheduler, on_step, speed, masters)
    if masters is not None:
        masters.finish()  # the adapter is written from the fp32 masters
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
    from .export_gguf import write_lora_gguf

    if job.export_gguf_lora:
        try:
            files["adapter_gguf"] = write_lora_gguf(model, tmp / "adapter.gguf")
        except TrainerError as e:  # optional output: the merged model is what serves
            log(f"adapter.gguf not written: {e.message}")
    stop.check()
    serve_format = resolve_serve_format(job.serve_format, job.base_model)
    if serve_format != "none":
        files["model"] = {"dir": "model", **write_servable_model(model, tokenizer, job.base_model, tmp / "model", serve_format, job.gguf_dtype)}
    stop.check()

    runtime = time.monotonic() - t0
    manifest = {
        "format": "web4-trainer/1",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "base_model": job.base_model,
        "base_model_sha256": sha256_path(job.base_model) if os.path.exists(job.base_model) else None,
        "parent_adapter": job.parent_adapter,
        "samples": {"file": job.samples, "count": len(examples), "sha256": samples_sha, "truncated": sum(e.truncated for e in examples)},
        "hyperparameters": {k: v for k, v in job.to_dict().items() if k not in ("base_model", "samples", "output_dir", "parent_adapter", "metadata")},
        "epochs_run": stats.epochs,
        "min_steps": job.min_steps,
        "max_epochs": job.max_epochs,
        "job_metadata": job.metadata,
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
        "speed": speed.describe(),
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


def steps_per_epoch(n_examples: int, job: TrainJob) -> int:
    return math.ceil(math.ceil(n_examples / job.batch_size) / job.grad_accumulation)


def effective_epochs(n_examples: int, job: TrainJob) -> int:
    """``epochs``, raised (up to ``max_epochs``) until the run makes ``min_steps`` optimizer
    steps: max(epochs, min(max_epochs, ceil(min_steps / steps per epoch)))."""
    per_epoch = steps_per_epoch(n_examples, job)
    if job.min_steps <= 0 or per_epoch == 0:
        return job.epochs
    return max(job.epochs, min(job.max_epochs, math.ceil(job.min_steps / per_epoch)))


def planned_steps(n_examples: int, job: TrainJob) -> int:
    return steps_per_epoch(n_examples, job) * effective_epochs(n_examples, job)


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
    epochs: int = 0
    """Epochs run (``effective_epochs``)."""


@dataclass
class Speed:
    """How ``train_loop`` runs the steps (``resolve_speed``): the settings the GPU benchmark
    found fastest on an H200, on the CPU the plan's padded batches in fp32."""
    packed: bool
    attention: str | None
    """``varlen`` | ``segments`` for packed rows, else None."""
    pack_tokens: int
    lora_model_dtype: bool

    @classmethod
    def padded(cls) -> "Speed":
        """The plan's padded fp32 micro-batches."""
        return cls(packed=False, attention=None, pack_tokens=0, lora_model_dtype=False)

    def describe(self) -> dict[str, Any]:
        return {"micro_batching": "packed" if self.packed else "padded", "attention": self.attention,
                "pack_tokens": self.pack_tokens if self.packed else None, "lora_compute": "model_dtype" if self.lora_model_dtype else "fp32"}


def resolve_speed(job: TrainJob, device: str) -> Speed:
    from .packing import varlen_available

    varlen_ok = varlen_available(device) is None
    packed = job.micro_batching == "packed" or (job.micro_batching == "auto" and device == "cuda" and varlen_ok)
    tokens = job.pack_tokens
    if tokens is None:
        tokens = 2048
        if device == "cuda":
            import torch

            if torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory >= 100 * 2**30:
                tokens = 4096
    lora_model_dtype = job.lora_compute == "model_dtype" or (job.lora_compute == "auto" and device == "cuda")
    return Speed(packed=packed, attention=("varlen" if varlen_ok else "segments") if packed else None, pack_tokens=tokens, lora_model_dtype=lora_model_dtype)


def make_optimizer(job: TrainJob, trainable: list[Any], speed: Speed, device: str, dtype: Any) -> tuple[Any, Any]:
    """AdamW over the LoRA weights, or over their fp32 masters when ``speed`` computes them in the
    base's dtype (``precision.LoraMasters``; None otherwise). Fused AdamW on CUDA (one kernel for
    all LoRA tensors), torch's default elsewhere."""
    import torch

    masters = None
    if speed.lora_model_dtype and dtype != torch.float32:
        from .precision import LoraMasters

        masters = LoraMasters(trainable, dtype)
    fused = {"fused": True} if device == "cuda" else {}
    optimizer = torch.optim.AdamW(masters.params if masters else trainable, lr=job.learning_rate, weight_decay=job.weight_decay, **fused)
    return optimizer, masters


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
    speed: Speed | None = None,
    masters: Any = None,
) -> LoopStats:
    """The optimisation loop shared by training and the GPU benchmark. Counts useful tokens
    (not padding) and reports a progress event after each optimizer step.

    Each optimizer step takes the samples of ``batch_size`` × ``grad_accumulation`` planned
    batches and minimises their token-weighted mean loss. ``speed`` says how they go through the
    model: padded micro-batches of ``batch_size`` (default), or packed rows of at most
    ``pack_tokens`` tokens with attention inside each sample and logits only where a token is
    scored; the update is the same. ``masters`` (``precision.LoraMasters``): the optimizer holds
    fp32 masters of bf16 LoRA weights; gradients move to them before each step."""
    import torch

    speed = speed or Speed.padded()
    trainable = masters.params if masters is not None else [p for p in model.parameters() if p.requires_grad]
    lengths = [len(e) for e in examples]
    total_steps = planned_steps(len(examples), job)
    epochs = effective_epochs(len(examples), job)
    pad_to = job.max_length if job.padding == "max_length" else None
    step = 0
    step_losses: list[float] = []
    useful_tokens = 0
    padded_tokens = 0
    t_train = time.monotonic()
    cpu_train = time.process_time()
    last_epoch_loss_sum = 0.0
    last_epoch_tokens = 0
    restore_attention = _use_packed_attention(model, speed)
    try:
        for epoch in range(epochs):
            batches = plan_batches(lengths, job.batch_size, job.sort_by_length, job.seed + epoch)
            last_epoch_loss_sum, last_epoch_tokens = 0.0, 0
            for g in range(0, len(batches), job.grad_accumulation):
                window = batches[g : g + job.grad_accumulation]
                # Token-weighted mean over the whole accumulation window: the update does not
                # depend on how the window is split into micro-batches.
                window_answer = sum(examples[i].answer_tokens for b in window for i in b) or 1
                window_loss = 0.0
                for part in _micro_batches(window, lengths, speed, job.seed + epoch + g):
                    stop.check()
                    rows = [examples[i] for i in part]
                    if speed.packed:
                        loss_sum, n_answer, useful, padded = _packed_loss_sum(model, rows, speed.attention or "segments", device)
                        if n_answer:
                            (loss_sum / window_answer).backward()
                            window_loss += float(loss_sum.detach())
                    else:
                        batch = collate(rows, pad_id, pad_to)
                        n_answer = int((batch["labels"] != -100).sum())
                        useful = int(batch["attention_mask"].sum())
                        padded = int(batch["attention_mask"].numel())
                        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
                        loss = model(**batch).loss
                        if n_answer:
                            (loss * (n_answer / window_answer)).backward()
                            window_loss += float(loss.detach()) * n_answer
                    useful_tokens += useful
                    padded_tokens += padded
                if masters is not None:
                    masters.step_ready()
                torch.nn.utils.clip_grad_norm_(trainable, job.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                if masters is not None:
                    masters.sync_model()
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
    finally:
        restore_attention()
    if device == "cuda":
        torch.cuda.synchronize()
    return LoopStats(
        step, step_losses, useful_tokens, padded_tokens, time.monotonic() - t_train,
        last_epoch_loss_sum / max(last_epoch_tokens, 1), time.process_time() - cpu_train, epochs,
    )


def _micro_batches(window: list[list[int]], lengths: list[int], speed: Speed, seed: int) -> list[list[int]]:
    """The planned batches as they are (padded), or the window's samples packed into rows."""
    if not speed.packed:
        return window
    from .packing import plan_packed

    idx = [i for b in window for i in b]
    return [[idx[j] for j in row] for row in plan_packed([lengths[i] for i in idx], speed.pack_tokens, seed)]


def _use_packed_attention(model: Any, speed: Speed) -> Callable[[], None]:
    """Switch the model to the packed attention for the loop; returns the function that puts
    the original back (the config is saved with the adapter and the merged model)."""
    if not speed.packed:
        return lambda: None
    from .packing import attn_implementation, set_attn_implementation

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    before = getattr(base.config, "_attn_implementation", None) or "sdpa"
    set_attn_implementation(model, attn_implementation(speed.attention or "segments"))
    return lambda: set_attn_implementation(model, before)


def _packed_loss_sum(model: Any, rows: list[Example], attention: str, device: str) -> tuple[Any, int, int, int]:
    """One packed row: the summed cross-entropy over its scored tokens (logits computed only at
    those positions), the number scored, and its tokens (no padding in a packed row)."""
    import torch.nn.functional as F

    from .data import IGNORE_INDEX
    from .packing import collate_packed

    batch = collate_packed(rows, attention)
    labels = batch.pop("labels")
    keep = (labels[0, 1:] != IGNORE_INDEX).nonzero().squeeze(1)
    n = int(keep.numel())
    tokens = int(batch["input_ids"].shape[1])
    if n == 0:
        return None, 0, tokens, tokens
    inputs = {k: (v.to(device, non_blocking=True) if hasattr(v, "to") else v) for k, v in batch.items()}
    logits = model(**inputs, logits_to_keep=keep.to(device)).logits[0]
    loss_sum = F.cross_entropy(logits.float(), labels[0, keep + 1].to(logits.device), reduction="sum")
    return loss_sum, n, tokens, tokens


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
