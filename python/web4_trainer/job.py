"""The training job: what to train, on what, into where, and how.

trainer-bridge writes it as ``job.json``; every field but the four paths has a default that
follows the original plan (1 epoch, batch 1, gradient accumulation 4, lr 1e-4 constant after
10 warm-up steps, max length 2048) — except that batches are padded to their own longest
sample, not to ``max_length``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .events import bad_input


@dataclass
class TrainJob:
    # --- what ---------------------------------------------------------------------------
    base_model: str
    """A Hugging Face model folder, a ``.gguf`` file (loaded with ``gguf_file=``, dequantized),
    or a hub id (only where ``HF_HUB_OFFLINE`` is not set)."""
    samples: str
    """JSON lines, one sample per line: ``{"instruction", "input", "output", "metadata"}``."""
    output_dir: str
    """Created by the trainer; must not exist yet (or be empty). Written atomically: a run that
    fails or is interrupted leaves nothing here."""
    parent_adapter: str | None = None
    """A PEFT adapter folder to continue training from (last night's production adapter);
    ``None`` starts a new LoRA with the ``lora_*`` settings below."""

    # --- a new LoRA ---------------------------------------------------------------------
    lora_rank: int = 16
    lora_alpha: float = 32.0
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    """Module names to adapt; add ``gate_proj``, ``up_proj``, ``down_proj`` for the MLP."""

    # --- optimisation (the plan's values) --------------------------------------------
    epochs: int = 1
    min_steps: int = 0
    """The minimum number of optimizer steps this run makes: on a small night (3 samples, batch 1,
    grad accumulation 4 is a single step per epoch) the run takes more epochs, up to
    ``max_epochs``. Effective epochs = max(epochs, min(max_epochs, ceil(min_steps / steps per
    epoch))); the start event and the manifest report the effective values. 0: off."""
    max_epochs: int = 10
    """Caps the epochs added for ``min_steps``; it never lowers ``epochs`` itself."""
    batch_size: int = 1
    grad_accumulation: int = 4
    learning_rate: float = 1e-4
    warmup_steps: int = 10
    """Linear warm-up over this many optimizer steps, then constant."""
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    max_length: int = 2048
    """Longer examples are cut to this many tokens (the answer is kept where the prompt allows)."""
    seed: int = 42

    # --- how batches are built --------------------------------------------------------
    padding: Literal["longest", "max_length"] = "longest"
    """``longest``: pad each batch to its own longest sample. ``max_length`` pads every sample
    to ``max_length`` like the original recipe; it exists for the benchmark, not for use."""
    sort_by_length: bool = True
    """Group samples of similar length into a batch (less padding); batch order stays shuffled."""
    micro_batching: Literal["auto", "padded", "packed"] = "auto"
    """How the samples of one optimizer step (``batch_size`` × ``grad_accumulation`` of them) go
    through the model. ``padded``: one padded micro-batch per ``batch_size`` samples (the plan's
    recipe). ``packed``: the step's samples end to end in rows of at most ``pack_tokens`` tokens,
    attention kept inside each sample (flash attention over the sample boundaries on CUDA, one
    causal SDPA call per sample elsewhere), logits only where a token is scored. The update is the
    same either way (token-weighted mean over the step's samples); only the speed differs.
    ``auto``: packed on CUDA where torch has varlen attention, else padded."""
    pack_tokens: int | None = None
    """Tokens per packed row; ``None``: 4096 on a GPU of >= 100 GiB, else 2048 (a longer sample
    is a row of its own)."""
    lora_compute: Literal["auto", "fp32", "model_dtype"] = "auto"
    """``model_dtype``: the LoRA weights take the base's dtype (bf16 on CUDA) for the forward and
    backward, with fp32 master copies that the optimizer updates (no small update is lost to bf16
    rounding); the adapter is written from the fp32 masters. ``fp32``: PEFT's default (fp32 LoRA
    weights, every adapted projection copies its input to fp32). ``auto``: ``model_dtype`` on
    CUDA, ``fp32`` on the CPU (where the base is fp32 and both are the same)."""

    # --- where it runs ----------------------------------------------------------------
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """``auto``: CUDA when present (bf16), else CPU (fp32)."""
    threads: int | None = None
    """CPU threads for torch; ``None`` keeps torch's default (all cores)."""
    gradient_checkpointing: bool = False
    """Trade compute for memory on long samples (a fix for out-of-memory on GPU)."""
    memory_limit_mb: int | None = None
    """CPU only: fail with an ``oom`` error when training needs more than this many MiB on top
    of the loaded model, instead of pushing a shared machine into swap."""

    # --- what is written --------------------------------------------------------------
    serve_format: Literal["auto", "gguf", "safetensors", "none"] = "auto"
    """The merged model for Ollama. ``auto``: ``gguf`` when the base is a GGUF file (its
    tokenizer and template metadata are copied), else a ``safetensors`` folder that Ollama
    imports itself."""
    gguf_dtype: Literal["f16", "f32"] = "f16"
    """Weight type of the merged GGUF; Ollama quantizes from it at create time."""
    export_gguf_lora: bool = True
    """Also write ``adapter.gguf`` (a llama.cpp LoRA) for Ollama releases that accept ``ADAPTER``."""

    # --- about the run ----------------------------------------------------------------
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form facts of the caller (run id, replay share, the ids of replayed PDCAs …), copied
    verbatim into manifest.json as ``job_metadata``; the trainer does not read them."""

    # ---------------------------------------------------------------------------------
    @property
    def base_is_gguf(self) -> bool:
        return self.base_model.lower().endswith(".gguf")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_PATH_FIELDS = ("base_model", "samples", "output_dir", "parent_adapter")


def _type_ok(value: Any, annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Literal:
        return value in get_args(annotation)
    if origin is list:
        (inner,) = get_args(annotation)
        return isinstance(value, list) and all(_type_ok(v, inner) for v in value)
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    args = get_args(annotation)
    if args and type(None) in args:  # Optional[X]
        return value is None or any(_type_ok(value, a) for a in args if a is not type(None))
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    return True


def _describe(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return " | ".join(json.dumps(a) for a in get_args(annotation))
    if origin is dict:
        return "an object"
    return getattr(annotation, "__name__", str(annotation)).replace("typing.", "")


def parse_job(data: Any, base_dir: str | os.PathLike[str] = ".", check_paths: bool = True) -> TrainJob:
    """Validate a decoded job object. Every problem is reported at once, by field name."""
    if not isinstance(data, dict):
        raise bad_input(f"job must be a JSON object, got {type(data).__name__}")
    hints = get_type_hints(TrainJob)
    known = {f.name for f in fields(TrainJob)}
    problems: list[str] = []
    unknown = sorted(set(data) - known)
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    for name in ("base_model", "samples", "output_dir"):
        if not data.get(name):
            problems.append(f"{name} is required")
    for key, value in data.items():
        if key in known and not _type_ok(value, hints[key]):
            problems.append(f"{key} must be {_describe(hints[key])}, got {json.dumps(value)}")
    if problems:
        raise bad_input("bad job: " + "; ".join(problems))

    values = dict(data)
    base = Path(base_dir)
    for name in _PATH_FIELDS:
        v = values.get(name)
        if isinstance(v, str):
            values[name] = _resolve_base_model(base, v) if name == "base_model" else _resolve_path(base, v)
    job = TrainJob(**values)

    checks = [
        (job.lora_rank >= 1, "lora_rank must be >= 1"),
        (job.lora_alpha > 0, "lora_alpha must be > 0"),
        (0 <= job.lora_dropout < 1, "lora_dropout must be in [0, 1)"),
        (len(job.target_modules) > 0, "target_modules must name at least one module"),
        (job.epochs >= 1, "epochs must be >= 1"),
        (job.min_steps >= 0, "min_steps must be >= 0"),
        (job.max_epochs >= 1, "max_epochs must be >= 1"),
        (job.batch_size >= 1, "batch_size must be >= 1"),
        (job.grad_accumulation >= 1, "grad_accumulation must be >= 1"),
        (job.pack_tokens is None or job.pack_tokens >= 16, "pack_tokens must be >= 16 (or null for the default)"),
        (0 < job.learning_rate < 1, "learning_rate must be in (0, 1)"),
        (job.warmup_steps >= 0, "warmup_steps must be >= 0"),
        (job.max_length >= 16, "max_length must be >= 16"),
        (job.max_grad_norm > 0, "max_grad_norm must be > 0"),
        (job.threads is None or job.threads >= 1, "threads must be >= 1"),
        (job.memory_limit_mb is None or job.memory_limit_mb >= 1, "memory_limit_mb must be >= 1"),
        (not (job.serve_format == "gguf" and not job.base_is_gguf), 'serve_format "gguf" needs a .gguf base_model (its tokenizer metadata is copied); use "safetensors" or "auto"'),
    ]
    problems = [msg for ok, msg in checks if not ok]
    if check_paths:
        problems += _path_problems(job)
    if problems:
        raise bad_input("bad job: " + "; ".join(problems))
    return job


def _path_problems(job: TrainJob) -> list[str]:
    problems: list[str] = []
    looks_local = job.base_is_gguf or os.path.isabs(job.base_model) or job.base_model.startswith(".")
    if job.base_is_gguf and not os.path.isfile(job.base_model):
        problems.append(f"base_model {job.base_model} does not exist")
    elif looks_local and not job.base_is_gguf and not os.path.isfile(os.path.join(job.base_model, "config.json")):
        problems.append(f"base_model {job.base_model} is not a model folder (no config.json)")
    if not os.path.isfile(job.samples):
        problems.append(f"samples file {job.samples} does not exist")
    if job.parent_adapter is not None and not os.path.isfile(os.path.join(job.parent_adapter, "adapter_config.json")):
        problems.append(f"parent_adapter {job.parent_adapter} is not a PEFT adapter folder (no adapter_config.json)")
    out = Path(job.output_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        problems.append(f"output_dir {job.output_dir} already exists and is not empty; choose a new folder")
    if not out.parent.exists():
        problems.append(f"the folder that should hold output_dir ({out.parent}) does not exist")
    return problems


def load_job(path: str | os.PathLike[str], check_paths: bool = True) -> TrainJob:
    """Read and validate ``job.json``; relative paths in it are relative to the file's folder."""
    return parse_job(_read_json(path, "job"), base_dir=Path(path).parent, check_paths=check_paths)


# --- evaluation ---------------------------------------------------------------------------


@dataclass
class EvalModel:
    """One model to score: the base itself (neither ``adapter`` nor ``model``), the base with a
    PEFT adapter applied (``adapter``), or a whole model that replaces the base (``model``)."""

    name: str
    adapter: str | None = None
    model: str | None = None
    sets: list[str] | None = None
    """The sets this model is scored on (default: every set): the base model of a nightly check
    is only needed on the next day's documents."""

    @property
    def kind(self) -> Literal["base", "adapter", "model"]:
        return "adapter" if self.adapter else "model" if self.model else "base"


@dataclass
class EvalSet:
    name: str
    samples: str


@dataclass
class EvalJob:
    """``python -m web4_trainer evaluate --job eval.json``: the token-weighted loss of each model
    on each sample set, on the answer tokens only, tokenized exactly as training does."""

    base_model: str
    """A Hugging Face model folder or a ``.gguf`` file: loaded once; its tokenizer tokenizes every
    set, so every model is scored on the same tokens."""
    models: list[EvalModel]
    """``[{"name": "production", "adapter": "/…/adapter"}, {"name": "base", "adapter": null},
    {"name": "merged", "model": "/…/model"}]``: ``adapter`` is a PEFT adapter folder applied on the
    base (null: the base itself), ``model`` a whole model (folder or ``.gguf``, same tokenizer)
    evaluated instead of the base. Names are unique; they key the results."""
    sets: list[EvalSet]
    """``[{"name": "night", "samples": "night.jsonl"}]``: JSON-lines sample files as training reads
    them. An empty file is allowed (its loss is null); a missing file or a bad line is not."""
    max_length: int = 2048
    """Longer examples are cut as in training (keep it equal to the training job's)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """``auto``: CUDA when present (bf16), else CPU (fp32)."""
    threads: int | None = None
    """CPU threads for torch; ``None`` keeps torch's default (all cores)."""
    batch_tokens: int = 8192
    """Examples are sorted by length and packed into batches of at most this many tokens,
    counting padding (a longer single example is a batch of its own)."""
    seed: int = 42
    """Seeds torch before each model is loaded (evaluation itself is deterministic)."""

    @property
    def base_is_gguf(self) -> bool:
        return self.base_model.lower().endswith(".gguf")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _resolve_path(base: Path, v: str) -> str:
    return str((base / os.path.expanduser(v)).resolve())


def _resolve_base_model(base: Path, v: str) -> str:
    # A hub id ("org/name") stays as it is; anything that looks like a path is resolved.
    if v.lower().endswith(".gguf") or (base / v).exists() or os.path.isabs(v):
        return _resolve_path(base, v)
    return v


def _entries(data: dict[str, Any], key: str, allowed: dict[str, tuple[type, ...]], required: tuple[str, ...], problems: list[str]) -> list[dict[str, Any]]:
    """Validate a list of small objects (``models``, ``sets``); every problem named by its place."""
    value = data.get(key)
    if value is None:
        problems.append(f"{key} is required")
        return []
    if not isinstance(value, list) or not value:
        problems.append(f"{key} must be a non-empty list of objects, got {json.dumps(value)}")
        return []
    good: list[dict[str, Any]] = []
    names: dict[str, int] = {}
    for i, entry in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be an object, got {json.dumps(entry)}")
            continue
        before = len(problems)
        unknown = sorted(set(entry) - set(allowed))
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(allowed)})")
        for name in required:
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                problems.append(f"{where}.{name} is required (a non-empty string)")
        for name, types in allowed.items():
            v = entry.get(name)
            if name in entry and name not in required and not (v is None or isinstance(v, types)):
                problems.append(f"{where}.{name} must be a string or null, got {json.dumps(v)}")
            elif name in entry and name not in required and isinstance(v, str) and not v.strip():
                problems.append(f"{where}.{name} must not be empty (use null)")
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            if name in names:
                problems.append(f"{where}.name {json.dumps(name)} is used twice ({key}[{names[name]}] has it too): names must be unique")
            names.setdefault(name, i)
        if len(problems) == before:
            good.append(entry)
    return good


def _model_set_lists(data: Any, problems: list[str]) -> dict[int, list[str]]:
    """Take each model entry's optional ``sets`` (a list of set names) out of the entry,
    validated against the job's sets; the rest of the entry is checked by ``_entries``."""
    lists: dict[int, list[str]] = {}
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        return lists
    set_names = {s.get("name") for s in data.get("sets") or [] if isinstance(s, dict)}
    for i, m in enumerate(data["models"]):
        if not isinstance(m, dict) or "sets" not in m:
            continue
        v = m.pop("sets")
        where = f"models[{i}] ({m.get('name')})"
        if v is None:
            continue
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            problems.append(f"{where}.sets must be a non-empty list of set names, got {json.dumps(v)}")
            continue
        unknown = [x for x in v if x not in set_names]
        if unknown:
            problems.append(f"{where}.sets names unknown set(s) {', '.join(unknown)} (the job's sets: {', '.join(sorted(str(n) for n in set_names))})")
            continue
        lists[i] = v
    return lists


def parse_eval_job(data: Any, base_dir: str | os.PathLike[str] = ".", check_paths: bool = True) -> EvalJob:
    """Validate a decoded evaluation job. Every problem is reported at once, by field name."""
    if not isinstance(data, dict):
        raise bad_input(f"evaluation job must be a JSON object, got {type(data).__name__}")
    hints = get_type_hints(EvalJob)
    known = {f.name for f in fields(EvalJob)}
    problems: list[str] = []
    unknown = sorted(set(data) - known)
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    if not isinstance(data.get("base_model"), str) or not data["base_model"]:
        problems.append("base_model is required" if "base_model" not in data else f"base_model must be a non-empty string, got {json.dumps(data['base_model'])}")
    for key, value in data.items():
        if key in known and key not in ("base_model", "models", "sets") and not _type_ok(value, hints[key]):
            problems.append(f"{key} must be {_describe(hints[key])}, got {json.dumps(value)}")
    if isinstance(data.get("models"), list):
        data = {**data, "models": [dict(m) if isinstance(m, dict) else m for m in data["models"]]}
    set_lists = _model_set_lists(data, problems)
    models = _entries(data, "models", {"name": (str,), "adapter": (str,), "model": (str,)}, ("name",), problems)
    for i, m in enumerate(data.get("models") or []):
        if isinstance(m, dict) and m.get("adapter") and m.get("model"):
            problems.append(f"models[{i}] ({m.get('name')}): give adapter (applied on the base) or model (a whole model), not both")
    sets = _entries(data, "sets", {"name": (str,), "samples": (str,)}, ("name", "samples"), problems)
    if problems:
        raise bad_input("bad evaluation job: " + "; ".join(problems))

    base = Path(base_dir)
    scalars = {k: v for k, v in data.items() if k not in ("base_model", "models", "sets")}
    job = EvalJob(
        base_model=_resolve_base_model(base, data["base_model"]),
        models=[
            EvalModel(
                name=m["name"],
                adapter=_resolve_path(base, m["adapter"]) if m.get("adapter") else None,
                model=_resolve_path(base, m["model"]) if m.get("model") else None,
                sets=set_lists.get(data["models"].index(m)),
            )
            for m in models
        ],
        sets=[EvalSet(name=s["name"], samples=_resolve_path(base, s["samples"])) for s in sets],
        **scalars,
    )
    checks = [
        (job.max_length >= 16, "max_length must be >= 16"),
        (job.batch_tokens >= 16, "batch_tokens must be >= 16"),
        (job.threads is None or job.threads >= 1, "threads must be >= 1"),
    ]
    problems = [msg for ok, msg in checks if not ok]
    if check_paths:
        problems += _eval_path_problems(job)
    if problems:
        raise bad_input("bad evaluation job: " + "; ".join(problems))
    return job


def _model_path_problem(field_name: str, path: str) -> str | None:
    if path.lower().endswith(".gguf"):
        return None if os.path.isfile(path) else f"{field_name} {path} does not exist"
    if not os.path.isfile(os.path.join(path, "config.json")):
        return f"{field_name} {path} is neither a .gguf file nor a model folder (no config.json)"
    return None


def _eval_path_problems(job: EvalJob) -> list[str]:
    problems: list[str] = []
    looks_local = job.base_is_gguf or os.path.isabs(job.base_model) or job.base_model.startswith(".")
    if looks_local:
        p = _model_path_problem("base_model", job.base_model)
        if p:
            problems.append(p)
    for i, m in enumerate(job.models):
        if m.adapter is not None and not os.path.isfile(os.path.join(m.adapter, "adapter_config.json")):
            problems.append(f"models[{i}] ({m.name}): adapter {m.adapter} is not a PEFT adapter folder (no adapter_config.json)")
        if m.model is not None:
            p = _model_path_problem(f"models[{i}] ({m.name}): model", m.model)
            if p:
                problems.append(p)
    for i, s in enumerate(job.sets):
        if not os.path.isfile(s.samples):
            problems.append(f"sets[{i}] ({s.name}): samples file {s.samples} does not exist")
    return problems


def load_eval_job(path: str | os.PathLike[str], check_paths: bool = True) -> EvalJob:
    """Read and validate ``eval.json``; relative paths in it are relative to the file's folder."""
    return parse_eval_job(_read_json(path, "evaluation job"), base_dir=Path(path).parent, check_paths=check_paths)


def _read_json(path: str | os.PathLike[str], what: str) -> Any:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise bad_input(f"{what} file {p} does not exist") from None
    except OSError as e:
        raise bad_input(f"{what} file {p} cannot be read: {e}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise bad_input(f"{what} file {p} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
