"""Micro-batches by token budget: length-grouped (padded to their own longest) or packed (samples
end to end in one row, attention kept inside each sample).

The trainer packs each optimizer step's samples into rows on CUDA (``train.train_loop``,
``micro_batching``); the GPU benchmark (``gpu_bench.py``) measures every variant.

Packing keeps samples apart in attention in one of three ways (``PACKED_ATTENTION``):

* ``mask``: ``position_ids`` restart at 0 for every sample and no ``attention_mask`` is passed;
  transformers then detects the packed sequence (``masking_utils.find_packed_sequence_indices``)
  and gives SDPA a block-diagonal causal mask. Exact, but SDPA computes the whole row × row
  score matrix (memory-efficient kernel with a mask instead of flash).
* ``varlen``: a registered attention function (``web4_varlen``) that hands the row to
  ``torch.nn.attention.varlen.varlen_attn`` (flash attention over the sample boundaries
  ``cu_seq_lens_q``): the work of each sample alone. CUDA only.
* ``segments``: the same registered interface (``web4_segments``), one causal SDPA call per
  sample. Exact on every device; the reference the others are checked against.

In every packed row the first label of each sample is ``IGNORE_INDEX``: the last token of one
sample must not be trained to predict the first token of the next, so the scored tokens are
exactly those of the samples trained one by one.
"""

from __future__ import annotations

import inspect
import random
from typing import Any, Sequence

from .data import IGNORE_INDEX, Example, collate
from .lifecycle import log

PACKED_ATTENTION = ("mask", "varlen", "segments")
_REGISTERED: set[str] = set()


def plan_grouped(lengths: Sequence[int], token_budget: int, seed: int) -> list[list[int]]:
    """Length-grouped micro-batches: longest first, rows added while rows × the batch's longest
    stays within ``token_budget`` (a longer sample is a batch of its own); batch order shuffled."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    for i in order:
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= token_budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    random.Random(seed).shuffle(batches)
    return batches


def plan_packed(lengths: Sequence[int], token_budget: int, seed: int) -> list[list[int]]:
    """Packed rows: first-fit decreasing into rows of at most ``token_budget`` tokens (a longer
    sample is a row of its own); row order shuffled."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    rows: list[list[int]] = []
    room: list[int] = []
    for i in order:
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(token_budget - lengths[i])
    random.Random(seed).shuffle(rows)
    return rows


def collate_grouped(examples: Sequence[Example], pad_id: int, pad_to: int | None = None) -> dict[str, Any]:
    return collate(examples, pad_id, pad_to)


def collate_packed(examples: Sequence[Example], attention: str) -> dict[str, Any]:
    """One row [1, Σ lengths]: input_ids, labels (first label of each sample ignored),
    position_ids restarting per sample, ``use_cache=False``, and for ``varlen``/``segments`` the sample boundaries
    ``cu_seq_lens_q/k`` (int32) and ``max_length_q/k``."""
    import torch

    if attention not in PACKED_ATTENTION:
        raise ValueError(f"attention must be one of {PACKED_ATTENTION}, got {attention!r}")
    ids: list[int] = []
    labels: list[int] = []
    pos: list[int] = []
    cu = [0]
    for e in examples:
        ids.extend(e.input_ids)
        labels.append(IGNORE_INDEX)
        labels.extend(e.labels[1:])
        pos.extend(range(len(e)))
        cu.append(cu[-1] + len(e))
    batch: dict[str, Any] = {
        "input_ids": torch.tensor([ids], dtype=torch.long),
        "labels": torch.tensor([labels], dtype=torch.long),
        "position_ids": torch.tensor([pos], dtype=torch.long),
        # transformers detects a packed row only without a KV cache: a model whose config asks
        # for one (use_cache: true, as the released configs do) would silently attend across.
        "use_cache": False,
    }
    if attention != "mask":
        cu_t = torch.tensor(cu, dtype=torch.int32)
        longest = max(len(e) for e in examples)
        batch.update(cu_seq_lens_q=cu_t, cu_seq_lens_k=cu_t, max_length_q=longest, max_length_k=longest)
    return batch


def attn_implementation(attention: str) -> str:
    """The model's ``attn_implementation`` for a packed-attention mode (registering it first)."""
    if attention == "mask":
        return "sdpa"
    name = f"web4_{attention}"
    if name not in _REGISTERED:
        from transformers import AttentionInterface

        AttentionInterface.register(name, _varlen_forward if attention == "varlen" else _segments_forward)
        _REGISTERED.add(name)
    return name


def set_attn_implementation(model: Any, name: str) -> None:
    """Switch a (PEFT-wrapped) model's attention implementation in place."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    setter = getattr(base, "set_attn_implementation", None)
    if setter is not None:
        try:
            setter(name)
            return
        except (ValueError, KeyError, ImportError) as e:  # a release that checks names differently
            log(f"set_attn_implementation({name!r}) refused ({e}); setting config._attn_implementation")
    base.config._attn_implementation = name


def varlen_available(device: str) -> str | None:
    """None when ``torch.nn.attention.varlen.varlen_attn`` can run here, else why not."""
    if device != "cuda":
        return "varlen_attn (flash attention over sample boundaries) runs on CUDA only"
    try:
        from torch.nn.attention.varlen import varlen_attn  # noqa: F401
    except ImportError as e:
        return f"this torch has no torch.nn.attention.varlen ({e})"
    return None


def _sdpa_fallback(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **kwargs: Any) -> Any:
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


def _repeat_kv(x: Any, groups: int) -> Any:
    return x if groups == 1 else x.repeat_interleave(groups, dim=-3)


def _segments_forward(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, scaling: float | None = None, dropout: float = 0.0, **kwargs: Any) -> tuple[Any, None]:
    """query/key/value [1, heads, T, head_dim] of one packed row -> [1, T, heads, head_dim]:
    one causal SDPA call per sample."""
    import torch
    import torch.nn.functional as F

    cu = kwargs.get("cu_seq_lens_q")
    if cu is None:
        return _sdpa_fallback(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs)
    groups = query.shape[1] // key.shape[1]
    key, value = _repeat_kv(key, groups), _repeat_kv(value, groups)
    bounds = cu.tolist()
    parts = [
        F.scaled_dot_product_attention(query[:, :, s:e], key[:, :, s:e], value[:, :, s:e], is_causal=True, scale=scaling, dropout_p=dropout)
        for s, e in zip(bounds[:-1], bounds[1:])
    ]
    return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None


def _varlen_forward(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, scaling: float | None = None, dropout: float = 0.0, **kwargs: Any) -> tuple[Any, None]:
    """The same as ``_segments_forward`` in one flash-attention call over the whole row."""
    import torch
    from torch.nn.attention.varlen import varlen_attn

    cu = kwargs.get("cu_seq_lens_q")
    if cu is None:
        return _sdpa_fallback(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs)
    q = query[0].transpose(0, 1)  # [T, heads, head_dim]
    k = key[0].transpose(0, 1)
    v = value[0].transpose(0, 1)
    params = inspect.signature(varlen_attn).parameters
    kw: dict[str, Any] = {}
    # torch 2.10 spelled causal masking is_causal=True; later releases window_size=(-1, 0).
    if "is_causal" in params:
        kw["is_causal"] = True
    else:
        kw["window_size"] = (-1, 0)
    if "scale" in params and scaling is not None:
        kw["scale"] = scaling
    if k.shape[1] != q.shape[1]:
        if "enable_gqa" in params:
            kw["enable_gqa"] = True
        else:
            groups = q.shape[1] // k.shape[1]
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    cu = cu.to(device=q.device, dtype=torch.int32)
    longest = int(kwargs.get("max_length_q") or int((cu[1:] - cu[:-1]).max()))
    out = varlen_attn(q.contiguous(), k.contiguous(), v.contiguous(), cu, cu, longest, longest, **kw)
    return out.unsqueeze(0), None


__all__ = ["PACKED_ATTENTION", "plan_grouped", "plan_packed", "collate_grouped", "collate_packed", "attn_implementation", "set_attn_implementation", "varlen_available"]
