"""A servable model from an adapter: ``python -m web4_trainer export --adapter DIR --base BASE --out DIR``.

Merges a PEFT adapter into its base and writes the model Ollama serves, with the same code that
writes a training run's ``model/`` folder (``train.write_servable_model``): ``model.gguf`` under
the base GGUF's metadata, or a safetensors folder with the tokenizer. Used to restore a backup
that keeps only ``adapter/`` + ``manifest.json``.

Like training, it writes into a hidden sibling ``.NAME.partial-PID`` and renames it to ``out``
only when complete; ``out`` must not exist or be empty.

Events: ``{"event": "start", "adapter", "base_model", "out", "serve_format", "device", "dtype"}``
then ``{"event": "done", "model_dir", "model_format", "bytes", "merge_s", "runtime_s", "adapter",
"base_model"}`` (or ``error``).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .events import EventStream, bad_input
from .lifecycle import StopFlag, log
from .train import choose_device, classify_failure, load_model, load_tokenizer, partial_path, resolve_serve_format, write_servable_model

SERVE_FORMATS = ("auto", "gguf", "safetensors")
GGUF_DTYPES = ("f16", "f32")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ExportJob:
    adapter: str
    """A PEFT adapter folder (``adapter_config.json`` + weights), e.g. a backup's ``adapter/``."""
    base_model: str
    """The base it was trained on: a Hugging Face model folder or a ``.gguf`` file."""
    out: str
    """The servable model's folder; must not exist or be empty."""
    serve_format: Literal["auto", "gguf", "safetensors"] = "auto"
    """``auto``: ``gguf`` for a ``.gguf`` base, else ``safetensors`` (as training does)."""
    gguf_dtype: Literal["f16", "f32"] = "f16"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Where the merge runs: ``auto`` is CUDA (bf16) when present, else CPU (fp32), as in training."""


def parse_export(adapter: str, base_model: str, out: str, serve_format: str = "auto", gguf_dtype: str = "f16", device: str = "auto", check_paths: bool = True) -> ExportJob:
    """Validate the arguments; every problem is reported at once, named by its option."""
    problems: list[str] = []
    for flag, value in (("--adapter", adapter), ("--base", base_model), ("--out", out)):
        if not value:
            problems.append(f"{flag} is required")
    for flag, value, allowed in (("--serve-format", serve_format, SERVE_FORMATS), ("--gguf-dtype", gguf_dtype, GGUF_DTYPES), ("--device", device, DEVICES)):
        if value not in allowed:
            problems.append(f"{flag} must be one of {', '.join(allowed)}, got {value!r}")
    if problems:
        raise bad_input("bad export: " + "; ".join(problems))
    job = ExportJob(
        adapter=str(Path(os.path.expanduser(adapter)).resolve()),
        base_model=str(Path(os.path.expanduser(base_model)).resolve()) if (base_model.lower().endswith(".gguf") or os.path.exists(base_model) or os.path.isabs(base_model)) else base_model,
        out=str(Path(os.path.expanduser(out)).resolve()),
        serve_format=serve_format,  # type: ignore[arg-type]
        gguf_dtype=gguf_dtype,  # type: ignore[arg-type]
        device=device,  # type: ignore[arg-type]
    )
    base_is_gguf = job.base_model.lower().endswith(".gguf")
    if job.serve_format == "gguf" and not base_is_gguf:
        problems.append('--serve-format gguf needs a .gguf --base (its tokenizer metadata is copied); use "safetensors" or "auto"')
    if check_paths:
        if not os.path.isfile(os.path.join(job.adapter, "adapter_config.json")):
            problems.append(f"--adapter {job.adapter} is not a PEFT adapter folder (no adapter_config.json)")
        if base_is_gguf and not os.path.isfile(job.base_model):
            problems.append(f"--base {job.base_model} does not exist")
        elif not base_is_gguf and os.path.isabs(job.base_model) and not os.path.isfile(os.path.join(job.base_model, "config.json")):
            problems.append(f"--base {job.base_model} is neither a .gguf file nor a model folder (no config.json)")
        o = Path(job.out)
        if o.exists() and (not o.is_dir() or any(o.iterdir())):
            problems.append(f"--out {job.out} already exists and is not empty; choose a new folder")
        elif not o.parent.is_dir():
            problems.append(f"--out: the folder that should hold it ({o.parent}) does not exist")
    if problems:
        raise bad_input("bad export: " + "; ".join(problems))
    return job


def export(job: ExportJob, events: EventStream, stop: StopFlag | None = None) -> dict[str, Any]:
    """Run the export; returns the ``done`` event's fields. Raises TrainerError on failure."""
    stop = stop or StopFlag("export", "no output was written")
    out = Path(job.out)
    tmp = partial_path(out)
    stop.add_cleanup(tmp)
    try:
        return _export(job, events, stop, out, tmp)
    except BaseException as e:
        raise classify_failure(e, "export") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _export(job: ExportJob, events: EventStream, stop: StopFlag, out: Path, tmp: Path) -> dict[str, Any]:
    from peft import PeftModel

    t0 = time.monotonic()
    device, dtype = choose_device(job)
    serve_format = resolve_serve_format(job.serve_format, job.base_model)
    events.start(adapter=job.adapter, base_model=job.base_model, out=job.out, serve_format=serve_format, device=device, dtype=str(dtype).replace("torch.", ""))
    log(f"loading base model {job.base_model} on {device}")
    tokenizer = load_tokenizer(job.base_model, what="--base")
    base = load_model(job.base_model, dtype, what="--base")
    stop.check()
    try:
        model = PeftModel.from_pretrained(base, job.adapter, is_trainable=False)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as e:
        raise bad_input(
            f"--adapter {job.adapter} does not fit the base model {job.base_model}: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
            "export the adapter with the base it was trained on (its adapter_config.json and the run's manifest.json name it)",
        ) from None
    model.to(device)
    stop.check()
    log(f"merging and writing {serve_format} into {out}")
    info = write_servable_model(model, tokenizer, job.base_model, tmp, serve_format, job.gguf_dtype)
    stop.check()
    if out.exists():
        out.rmdir()  # validated empty
    os.rename(tmp, out)
    return events.done(
        model_dir=str(out),
        model_format=info["format"],
        bytes=info["bytes"],
        merge_s=info["merge_s"],
        runtime_s=round(time.monotonic() - t0, 3),
        adapter=job.adapter,
        base_model=job.base_model,
    )
