"""Loss of models on sample sets: ``python -m web4_trainer evaluate --job eval.json``.

The nightly loss gate asks two questions of a candidate adapter: did it learn the night's
documents (lower loss than production on them) and did it forget older ones (loss on a fixed
retention set at most a little higher). Both are the same measurement: the token-weighted mean
cross-entropy on the answer tokens of a sample set — tokenized by ``data.tokenize_samples``
exactly as training tokenizes it, so the figure is comparable to the training loss.

The base model is loaded once. Each ``adapter`` entry is applied on it
(``PeftModel.from_pretrained``), evaluated, and removed again (``unload``) so that the next
entry sees the untouched base; a ``model`` entry (a merged export) is loaded on its own and
freed after use. No gradients (``torch.inference_mode``), ``model.eval()`` (no dropout).

Events (stdout, one JSON object per line):

    {"event": "start", "models": [names], "sets": [names], "device": "cpu", "dtype": "float32",
     "set_samples": {set: n}, "set_tokens": {set: answer tokens}, "load_s": t}
    {"event": "eval", "model": name, "set": name, "loss": x | null, "tokens": n, "samples": k,
     "tokens_per_s": y, "runtime_s": t}                      one per (model, set)
    {"event": "done", "results": {model: {set: {"loss", "tokens", "samples"}}}, "runtime_s": t}

``tokens`` counts the answer tokens scored (the loss's denominator); ``tokens_per_s`` counts
every token the model read (prompt and answer, not padding) per second. An empty set has
``loss: null`` and ``tokens: 0``.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any, Sequence

from .data import IGNORE_INDEX, Example, collate, read_samples, tokenize_samples
from .events import EventStream, TrainerError, bad_input
from .job import EvalJob, EvalModel
from .lifecycle import StopFlag, log
from .train import choose_device, classify_failure, load_model, load_tokenizer


@dataclass
class SetScore:
    loss: float | None
    tokens: int
    samples: int
    tokens_read: int
    runtime_s: float

    def result(self) -> dict[str, Any]:
        return {"loss": self.loss, "tokens": self.tokens, "samples": self.samples}


def plan_eval_batches(lengths: Sequence[int], batch_tokens: int) -> list[list[int]]:
    """Indices per batch: longest first, each batch filled while its padded size (rows x its
    longest) stays within ``batch_tokens``; an example longer than that is a batch of its own.
    The longest batch comes first, so a set that does not fit in memory fails at once."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    for i in order:
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= batch_tokens:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def score(model: Any, examples: Sequence[Example], pad_id: int, device: str, batch_tokens: int, stop: StopFlag | None = None, answer_logits: bool = True) -> SetScore:
    """Token-weighted mean cross-entropy of ``model`` on the answer tokens of ``examples``:
    sum over every scored token / number of scored tokens (the same figure as the mean of
    ``model(**batch, labels=…).loss`` weighted by each batch's scored tokens).

    ``answer_logits`` (default): the model computes logits only at the positions some row of
    the batch scores (``logits_to_keep`` with those indices; the prompt positions of every row
    need none), instead of a vocabulary-wide row for every token. The sum stays on the device
    and is read once at the end, so the GPU never waits for the host between batches."""
    import torch
    import torch.nn.functional as F

    t0 = time.monotonic()
    total = None
    scored = 0
    read = 0
    model.eval()
    with torch.inference_mode():
        for b in plan_eval_batches([len(e) for e in examples], batch_tokens):
            if stop is not None:
                stop.check()
            batch = collate([examples[i] for i in b], pad_id)
            read += int(batch["attention_mask"].sum())
            # position t predicts token t+1: the labels shift left by one, as in the model's loss
            labels = batch["labels"][:, 1:]
            keep = labels != IGNORE_INDEX
            n = int(keep.sum())
            if n == 0:
                continue
            inputs = {"input_ids": batch["input_ids"].to(device, non_blocking=True), "attention_mask": batch["attention_mask"].to(device, non_blocking=True)}
            if answer_logits:
                cols = keep.any(dim=0).nonzero().squeeze(1)  # positions scored in some row
                logits = _logits_at(model, inputs, cols)
                picked = logits[keep[:, cols].to(logits.device)].float() if logits is not None else None
            else:
                logits = None
            if logits is None:
                logits = model(**inputs).logits
                picked = logits[:, :-1][keep.to(logits.device)].float()  # only the scored rows are upcast
            part = F.cross_entropy(picked, labels[keep].to(picked.device), reduction="sum")
            total = part if total is None else total + part
            scored += n
            del logits, picked
    loss = float(total) / scored if scored else None  # the one host sync
    return SetScore(loss=loss, tokens=scored, samples=len(examples), tokens_read=read, runtime_s=time.monotonic() - t0)


def _logits_at(model: Any, inputs: dict[str, Any], cols: Any) -> Any:
    """The logits at sequence positions ``cols`` only (transformers' ``logits_to_keep`` with a
    tensor of indices), or None for a model whose forward does not take it."""
    try:
        out = model(**inputs, logits_to_keep=cols.to(inputs["input_ids"].device))
    except TypeError:
        return None
    logits = out.logits
    return logits if logits.shape[1] == cols.numel() else None


def evaluate(job: EvalJob, events: EventStream, stop: StopFlag | None = None) -> dict[str, Any]:
    """Run the job; returns the ``done`` event's fields. Raises TrainerError on failure."""
    stop = stop or StopFlag("evaluation", "nothing was measured")
    try:
        return _evaluate(job, events, stop)
    except BaseException as e:
        raise classify_failure(e, "evaluation") from None


def _evaluate(job: EvalJob, events: EventStream, stop: StopFlag) -> dict[str, Any]:
    import torch

    t0 = time.monotonic()
    if job.threads:
        torch.set_num_threads(job.threads)
    device, dtype = choose_device(job)
    samples = {}
    for i, s in enumerate(job.sets):
        try:
            samples[s.name] = read_samples(s.samples, allow_empty=True)[0]
        except TrainerError as e:
            raise bad_input(f"sets[{i}] ({s.name}): {e.message}", e.hint) from None
    stop.check()
    log(f"loading tokenizer of {job.base_model}")
    tokenizer = load_tokenizer(job.base_model)
    examples = {name: tokenize_samples(tokenizer, rows, job.max_length) for name, rows in samples.items()}
    pad_id = tokenizer.pad_token_id
    max_id = max((max(e.input_ids) for ex in examples.values() for e in ex), default=-1)

    base = None
    if any(m.kind != "model" for m in job.models):
        log(f"loading base model {job.base_model} on {device} ({_dtype_name(dtype)})")
        torch.manual_seed(job.seed)
        base = load_model(job.base_model, dtype).to(device)
        base.config.use_cache = False
        _check_vocab(base, max_id, "base_model", job.base_model)
        stop.check()
    events.start(
        models=[m.name for m in job.models],
        sets=[s.name for s in job.sets],
        device=device,
        dtype=_dtype_name(dtype),
        set_samples={name: len(ex) for name, ex in examples.items()},
        set_tokens={name: sum(e.scored_tokens for e in ex) for name, ex in examples.items()},
        load_s=round(time.monotonic() - t0, 2),
    )

    results: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(job.models):
        where = f"models[{i}] ({entry.name})"
        model, release = _prepare(entry, where, base, job, device, dtype, max_id)
        try:
            results[entry.name] = {}
            for s in job.sets:
                if entry.sets is not None and s.name not in entry.sets:
                    continue
                stop.check()
                sc = score(model, examples[s.name], pad_id, device, job.batch_tokens, stop)
                results[entry.name][s.name] = sc.result()
                events.emit(
                    "eval",
                    model=entry.name,
                    set=s.name,
                    loss=sc.loss,
                    tokens=sc.tokens,
                    samples=sc.samples,
                    tokens_per_s=round(sc.tokens_read / max(sc.runtime_s, 1e-9), 1),
                    runtime_s=round(sc.runtime_s, 3),
                )
        finally:
            release()
    return events.done(results=results, runtime_s=round(time.monotonic() - t0, 3))


def _prepare(entry: EvalModel, where: str, base: Any, job: EvalJob, device: str, dtype: Any, max_id: int) -> tuple[Any, Any]:
    """The model to score for ``entry`` and a function that undoes it (removes the adapter from
    the base, or frees the whole model)."""
    import torch

    if entry.kind == "base":
        return base, lambda: None
    if entry.kind == "adapter":
        from peft import PeftModel

        log(f"{where}: applying adapter {entry.adapter}")
        try:
            peft_model = PeftModel.from_pretrained(base, entry.adapter, is_trainable=False)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as e:
            _strip_peft(base)
            raise bad_input(
                f"{where}: adapter {entry.adapter} does not fit the base model {job.base_model}: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                "evaluate the adapter on the base it was trained on (its adapter_config.json names it)",
            ) from None
        peft_model.to(device)
        lora_to(peft_model, dtype)

        def remove() -> None:
            # unload() puts the original layers back (no merge): the next entry sees the base.
            peft_model.unload()
            _strip_peft(base)

        return peft_model, remove
    log(f"{where}: loading model {entry.model}")
    torch.manual_seed(job.seed)
    model = load_model(str(entry.model), dtype, what=f"{where}: model").to(device)
    model.config.use_cache = False
    _check_vocab(model, max_id, f"{where}: model", str(entry.model))

    def free() -> None:
        nonlocal model
        del model
        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()

    return model, free


def lora_to(peft_model: Any, dtype: Any) -> None:
    """Evaluate the adapter in the base's dtype. PEFT keeps loaded adapter weights in fp32 on a
    bf16 base, and every adapted projection then copies its input to fp32 (measured on an H200:
    1.4x the training rate in bf16); the served model is the merge in the base's dtype anyway.
    On the CPU (fp32) nothing changes."""
    for name, p in peft_model.named_parameters():
        if "lora_" in name and p.dtype != dtype:
            p.data = p.data.to(dtype)


def _strip_peft(base: Any) -> None:
    """Remove what PEFT leaves on a model it wrapped (its config attribute), so the next
    ``PeftModel.from_pretrained`` on the same base starts clean."""
    for attr in ("peft_config", "_hf_peft_config_loaded"):
        if hasattr(base, attr):
            try:
                delattr(base, attr)
            except AttributeError:
                pass


def _check_vocab(model: Any, max_id: int, what: str, path: str) -> None:
    emb = model.get_input_embeddings()
    n = getattr(emb, "num_embeddings", None)
    if n is not None and max_id >= n:
        raise bad_input(f"{what} {path} has {n} token embeddings but the base tokenizer produced token id {max_id}: it does not share the base's tokenizer")


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


__all__ = ["evaluate", "score", "lora_to", "plan_eval_batches", "SetScore"]
