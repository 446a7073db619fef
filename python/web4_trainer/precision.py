"""LoRA weights in the base's dtype for compute, fp32 masters for the optimizer.

PEFT keeps LoRA weights in fp32 on a bf16 base, and every adapted projection then copies its
input to fp32 before the two small matmuls (and, in training, applies dropout to that copy). On
an H200 (Qwen2.5-Coder-7B shape, LoRA r16 on the attention and MLP projections) that cost the
trainer 1.4x of its speed (docs/benchmarks.md, GPU section). Casting the LoRA weights to bf16
removes the copies; keeping fp32 masters in the optimizer keeps the updates: a bf16 weight has
8 significant bits, so an AdamW step of lr 1e-4 on a weight of 1e-2 would round away in bf16.

After every backward pass ``step_ready`` moves the bf16 gradients onto the fp32 masters (the
optimizer, gradient clipping and the scheduler see only the masters); after ``optimizer.step``
``sync_model`` copies the masters back into the bf16 weights; ``finish`` puts the fp32 masters
into the model, so the adapter is written in fp32 exactly as without this.
"""

from __future__ import annotations

from typing import Any, Sequence


class LoraMasters:
    def __init__(self, params: Sequence[Any], compute_dtype: Any):
        import torch

        self.model_params = list(params)
        self.masters = [torch.nn.Parameter(p.detach().to(torch.float32).clone(), requires_grad=True) for p in self.model_params]
        for p in self.model_params:
            p.data = p.data.to(compute_dtype)

    @property
    def params(self) -> list[Any]:
        """What the optimizer updates and gradient clipping measures."""
        return self.masters

    def step_ready(self) -> None:
        """The accumulated gradients of the compute weights, in fp32 on the masters."""
        for m, p in zip(self.masters, self.model_params):
            m.grad = None if p.grad is None else p.grad.to(m.dtype)
            p.grad = None

    def sync_model(self) -> None:
        import torch

        with torch.no_grad():
            for m, p in zip(self.masters, self.model_params):
                p.copy_(m)

    def finish(self) -> None:
        """The model's LoRA weights become the fp32 masters (written as the adapter)."""
        for m, p in zip(self.masters, self.model_params):
            p.data = m.data
            p.grad = None


__all__ = ["LoraMasters"]
