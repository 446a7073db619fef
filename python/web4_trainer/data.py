"""Samples -> chat-formatted, tokenized examples whose loss counts only the answer tokens,
and batches padded to their own longest example (never to ``max_length``).

A sample is one JSON line: ``{"instruction": str, "input": str?, "output": str, "metadata": {}?}``
(the original plan's shape). The user turn is the instruction followed by the input; the
assistant turn is the output. The model's own chat template renders both, so training sees
exactly the prompt format the model is served with.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from .events import bad_input

IGNORE_INDEX = -100
"""Label value that cross-entropy skips: prompt tokens and padding."""


@dataclass
class Sample:
    instruction: str
    output: str
    input: str = ""
    metadata: dict[str, Any] | None = None

    def messages(self) -> list[dict[str, str]]:
        user = self.instruction if not self.input else f"{self.instruction}\n\n{self.input}"
        return [{"role": "user", "content": user}, {"role": "assistant", "content": self.output}]


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False

    @property
    def answer_tokens(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE_INDEX)

    @property
    def scored_tokens(self) -> int:
        """Answer tokens that a causal LM predicts (every one but a first token, which has
        nothing before it): the denominator of the loss."""
        return sum(1 for t in self.labels[1:] if t != IGNORE_INDEX)

    def __len__(self) -> int:
        return len(self.input_ids)


def read_samples(path: str | Path, allow_empty: bool = False) -> tuple[list[Sample], str]:
    """Parse the samples file; returns the samples and the file's sha256.
    Every bad line is reported with its number, so the file can be fixed in one go.
    A file without samples is an error unless ``allow_empty`` (evaluation: a first night has
    no retention set yet)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise bad_input(f"samples file {p} cannot be read: {e}") from None
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise bad_input(f"samples file {p} is not UTF-8 (byte {e.start})") from None
    samples: list[Sample] = []
    problems: list[str] = []
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"line {no}: not JSON ({e.msg})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {no}: expected an object")
            continue
        bad = [k for k in ("instruction", "output") if not isinstance(obj.get(k), str) or not obj[k].strip()]
        if bad:
            problems.append(f"line {no}: {' and '.join(bad)} must be a non-empty string")
            continue
        inp = obj.get("input", "")
        meta = obj.get("metadata")
        if inp is not None and not isinstance(inp, str):
            problems.append(f"line {no}: input must be a string")
            continue
        if meta is not None and not isinstance(meta, dict):
            problems.append(f"line {no}: metadata must be an object")
            continue
        samples.append(Sample(instruction=obj["instruction"], output=obj["output"], input=inp or "", metadata=meta))
        if len(problems) >= 20:
            break
    if problems:
        more = " (first 20 shown)" if len(problems) >= 20 else ""
        raise bad_input(f"samples file {p} has bad lines{more}: " + "; ".join(problems))
    if not samples and not allow_empty:
        raise bad_input(f"samples file {p} holds no samples", hint="the bridge skips training when there is nothing to learn; check the file it wrote")
    return samples, digest


def _render(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    # A base model without a chat template: a plain, stable format.
    parts = [f"### {m['role'].capitalize()}:\n{m['content']}\n" for m in messages]
    if add_generation_prompt:
        parts.append("### Assistant:\n")
    eos = tokenizer.eos_token or ""
    text = "\n".join(parts)
    return text if add_generation_prompt else text + eos


def _ids(tokenizer: Any, text: str) -> list[int]:
    # The template already holds the special tokens; adding BOS again would double it.
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def tokenize_sample(tokenizer: Any, sample: Sample, max_length: int) -> Example:
    msgs = sample.messages()
    prompt_text = _render(tokenizer, msgs[:1], add_generation_prompt=True)
    full_text = _render(tokenizer, msgs, add_generation_prompt=False)
    if full_text.startswith(prompt_text):
        prompt = _ids(tokenizer, prompt_text)
        answer = _ids(tokenizer, full_text[len(prompt_text) :])
    else:  # a template whose prompt is not a prefix of the full chat: mask by token prefix
        prompt = _ids(tokenizer, prompt_text)
        full = _ids(tokenizer, full_text)
        n = 0
        while n < min(len(prompt), len(full)) and prompt[n] == full[n]:
            n += 1
        prompt, answer = full[:n], full[n:]
    truncated = False
    if len(prompt) + len(answer) > max_length:
        truncated = True
        # Keep the start of the prompt (the instruction) and as much answer as fits, but give
        # the answer at least half the room: an example without answer tokens teaches nothing.
        keep_prompt = min(len(prompt), max(max_length // 2, max_length - len(answer)))
        prompt = prompt[:keep_prompt]
        answer = answer[: max_length - keep_prompt]
    return Example(input_ids=prompt + answer, labels=[IGNORE_INDEX] * len(prompt) + answer, truncated=truncated)


def tokenize_samples(tokenizer: Any, samples: Iterable[Sample], max_length: int) -> list[Example]:
    return [tokenize_sample(tokenizer, s, max_length) for s in samples]


def plan_batches(lengths: Sequence[int], batch_size: int, sort_by_length: bool, seed: int) -> list[list[int]]:
    """Indices per batch for one epoch. Sorting by length puts similar lengths together, so
    padding to each batch's longest costs little; the batch order is shuffled either way."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    if sort_by_length and batch_size > 1:
        order.sort(key=lambda i: lengths[i])
    else:
        rng.shuffle(order)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(examples: Sequence[Example], pad_id: int, pad_to: int | None = None) -> dict[str, Any]:
    """Right-pad to the longest example in the batch (or to ``pad_to`` for the recipe baseline)."""
    import torch

    width = max(len(e) for e in examples)
    if pad_to is not None:
        width = max(width, pad_to)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        n = len(e)
        ids[row, :n] = torch.tensor(e.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(e.labels, dtype=torch.long)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
