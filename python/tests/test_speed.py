"""How the trainer runs a step (train.resolve_speed): packed rows and bf16 LoRA with fp32
masters compute the same update as the plan's padded batches; the loss gate's answer-only
logits give the same loss as the full ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import write_samples
from web4_trainer.events import EventStream, TrainerError
from web4_trainer.job import TrainJob, parse_job
from web4_trainer.train import resolve_speed, train


def varied_rows(n: int = 12) -> list[dict]:
    return [{"instruction": f"Write the commit message for change {i}: " + "word " * (i % 7), "output": f"ZORBLAX-{i}: fix " + "thing " * (i % 5)} for i in range(n)]


def run(tiny_model: Path, tmp_path: Path, name: str, **over) -> dict:
    samples = write_samples(tmp_path / "s.jsonl", varied_rows())
    job = parse_job({"base_model": str(tiny_model), "samples": str(samples), "output_dir": str(tmp_path / name), "epochs": 2, "batch_size": 2,
                     "grad_accumulation": 2, "learning_rate": 0.01, "warmup_steps": 0, "device": "cpu", "serve_format": "none", "lora_dropout": 0.0, **over})
    train(job, EventStream(open(os.devnull, "w")))
    return json.loads((tmp_path / name / "manifest.json").read_text())


def test_packed_steps_equal_padded_steps_without_the_padding(tiny_model, tmp_path):
    padded = run(tiny_model, tmp_path, "padded", micro_batching="padded")
    packed = run(tiny_model, tmp_path, "packed", micro_batching="packed", pack_tokens=64)
    assert padded["speed"] == {"micro_batching": "padded", "attention": None, "pack_tokens": None, "lora_compute": "fp32"}
    assert packed["speed"] == {"micro_batching": "packed", "attention": "segments", "pack_tokens": 64, "lora_compute": "fp32"}
    assert packed["steps"] == padded["steps"] == 6
    # the same update, step by step: only how the samples go through the model differs
    assert packed["step_losses"] == pytest.approx(padded["step_losses"], rel=1e-5)
    assert packed["step_losses"][-1] < padded["step_losses"][0]
    assert packed["tokens_trained"] == padded["tokens_trained"]
    assert packed["tokens_with_padding"] == packed["tokens_trained"] < padded["tokens_with_padding"]
    # the model's attention is put back: the written config must load anywhere
    config = json.loads((tmp_path / "packed" / "adapter" / "adapter_config.json").read_text())
    assert "web4_" not in json.dumps(config)


def test_the_cpu_keeps_the_plans_padded_fp32_steps(tiny_model, tmp_path):
    job = TrainJob(base_model=str(tiny_model), samples="s", output_dir="o", device="cpu")
    speed = resolve_speed(job, "cpu")
    assert (speed.packed, speed.lora_model_dtype, speed.pack_tokens) == (False, False, 2048)
    forced = resolve_speed(TrainJob(base_model="b", samples="s", output_dir="o", micro_batching="packed", lora_compute="model_dtype"), "cpu")
    assert (forced.packed, forced.attention, forced.lora_model_dtype) == (True, "segments", True)


@pytest.mark.parametrize("change, expected", [
    ({"micro_batching": "rows"}, 'micro_batching must be "auto" | "padded" | "packed"'),
    ({"pack_tokens": 8}, "pack_tokens must be >= 16"),
    ({"lora_compute": "bf16"}, 'lora_compute must be "auto" | "fp32" | "model_dtype"'),
])
def test_bad_speed_fields_are_named(tmp_path, change, expected):
    with pytest.raises(TrainerError) as e:
        parse_job({"base_model": "b", "samples": "s", "output_dir": str(tmp_path / "o"), **change}, check_paths=False)
    assert expected in e.value.message


def test_fp32_masters_keep_updates_that_bf16_weights_would_lose():
    import torch

    from web4_trainer.precision import LoraMasters

    w = torch.nn.Parameter(torch.full((64,), 0.01))
    bare = torch.nn.Parameter(torch.full((64,), 0.01, dtype=torch.bfloat16))
    masters = LoraMasters([w], torch.bfloat16)
    assert w.dtype == torch.bfloat16 and masters.params[0].dtype == torch.float32
    opt = torch.optim.SGD(masters.params, lr=1.0)
    opt_bare = torch.optim.SGD([bare], lr=1.0)
    for _ in range(100):
        (w.float() * 1e-5).sum().backward()  # each step moves the weight by 1e-5: under bf16's step at 0.01
        masters.step_ready()
        assert w.grad is None and masters.params[0].grad.dtype == torch.float32
        opt.step()
        opt.zero_grad(set_to_none=True)
        masters.sync_model()
        (bare.float() * 1e-5).sum().backward()
        opt_bare.step()
        opt_bare.zero_grad(set_to_none=True)
    assert float(bare.detach()[0]) == pytest.approx(0.01, rel=1e-2)  # bf16 alone: every update rounded away
    assert float(masters.params[0][0]) == pytest.approx(0.01 - 100 * 1e-5, rel=1e-3)  # each grad is 1e-5 rounded to bf16
    assert float(w.detach()[0]) == pytest.approx(0.009, rel=4e-3)  # the compute copy follows, in bf16
    masters.finish()
    assert w.dtype == torch.float32 and float(w.detach()[0]) == pytest.approx(0.009, rel=1e-3)


def test_answer_only_logits_score_the_same_loss(tiny_model, tiny_tokenizer, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from web4_trainer.data import read_samples, tokenize_samples
    from web4_trainer.evaluate import score

    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    rows = read_samples(str(write_samples(tmp_path / 'e.jsonl', varied_rows(10))))[0]
    examples = tokenize_samples(tiny_tokenizer, rows, 256)
    full = score(model, examples, tiny_tokenizer.pad_token_id, "cpu", 96, answer_logits=False)
    answer = score(model, examples, tiny_tokenizer.pad_token_id, "cpu", 96)
    assert answer.tokens == full.tokens > 0 and answer.tokens_read == full.tokens_read
    assert answer.loss == pytest.approx(full.loss, rel=1e-6)
