"""``python -m web4_trainer bench-gpu``: the GPU issue's one-run benchmark, run here on the CPU
with the tiny qwen2 config (``--device cpu --config tiny``) so that it keeps working without a
GPU; and its parts: packing (attention must not cross samples), the batch plans, the memory
arithmetic against real models."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest

from conftest import PYTHON_DIR
from web4_trainer.data import IGNORE_INDEX, Example, collate
from web4_trainer.gpu_bench import SECTIONS, attention_span, bf16_peak_tflops, flops_per_token, load_config, memory_plan, synthetic_examples
from web4_trainer.packing import attn_implementation, collate_packed, plan_grouped, plan_packed, set_attn_implementation

CPU_RUN = ["--device", "cpu", "--config", "tiny", "--samples", "12", "--tokens", "48", "--max-length", "128",
           "--baseline-samples", "8", "--current-samples", "8", "--token-budget", "256"]


def bench(args: list[str], timeout: float = 600) -> tuple[int, list[dict], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "web4_trainer", "bench-gpu", *args],
        cwd=str(PYTHON_DIR), capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PYTHON_DIR)},
    )
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory) -> dict:
    jsonl = tmp_path_factory.mktemp("bench") / "gpu.jsonl"
    code, lines, stderr = bench([*CPU_RUN, "--budget-s", "400", "--jsonl", str(jsonl)])
    return {"code": code, "lines": lines, "stderr": stderr, "jsonl": jsonl}


def test_cpu_run_prints_every_figure(cpu_run):
    assert cpu_run["code"] == 0, cpu_run["stderr"]
    lines = cpu_run["lines"]
    # the --jsonl copy holds the same lines
    assert [json.loads(x) for x in cpu_run["jsonl"].read_text().splitlines()] == lines
    for line in lines:
        assert line["bench"] == f"trainer.gpu.{line['section']}" and isinstance(line["t_s"], (int, float))
        assert "error" not in line, line
    by = {}
    for line in lines:
        by.setdefault(line["section"], []).append(line)
    assert set(SECTIONS) <= set(by) | {"model"}

    env = by["env"][0]
    assert env["device"] == "cpu" and env["dtype"] == "float32" and env["matmul_tflops"] > 0 and env["torch"]
    assert [m["model"] for m in by["memory_plan"]] == ["qwen2.5-coder-7b", "qwen2.5-coder-14b", "qwen2.5-coder-32b"]

    packing, loss, merged = by["correctness"]
    assert packing["name"] == "packing_logits" and packing["pass"] is True and packing["tolerance"] == 1e-5
    assert set(packing["rel_diff"]) == {"mask", "segments"} and "CUDA only" in packing["varlen"]
    assert max(packing["rel_diff"].values()) <= 1e-5 and packing["plain_concatenation_rel_diff"] > 0.5
    assert loss["name"] == "tiny_loss_falls" and loss["steps"] == 20 and loss["pass"] is True
    assert loss["last4_mean_loss"] < 0.7 * loss["first_loss"]
    assert merged["name"] == "merged_logits" and merged["pass"] is True
    assert max(merged["rel_diff"].values()) <= merged["tolerance"] < merged["adapter_moved_logits"]
    assert max(merged["rel_diff_in_serving_dtype"].values()) <= merged["tolerance_in_serving_dtype"]

    base = by["baseline"][0]
    assert base["padding"] == "max_length" and base["pad_to"] == 128 and base["batch_size"] == 1 and base["grad_accumulation"] == 4
    assert base["micro_steps"] == 8 and base["optimizer_steps"] == 2
    assert base["padded_tokens"] == 8 * 128 and 0 < base["useful_tokens"] < base["padded_tokens"]
    # seconds is printed to the millisecond; on a fast CPU a run takes ~40 ms, so allow for that rounding
    low, high = (base["useful_tokens"] / (base["seconds"] + d) for d in (0.0005, -0.0005))
    assert low - 0.05 <= base["tokens_per_s"] <= high + 0.05
    current = by["current"][0]
    assert current["name"] == "trainer_now" and current["padding"] == "longest" and current["padded_tokens"] == current["useful_tokens"]  # batch 1: no padding
    # on the CPU the trainer keeps the plan's padded fp32 steps (on CUDA: packed, bf16 LoRA with fp32 masters)
    assert current["micro_batching"] == "padded" and current["lora_compute"] == "fp32" and current["fused_adamw"] is False

    variants = {v["name"]: v for v in by["variants"]}
    assert {"grouped", "packed_varlen", "packed_segments", "packed_mask", "packed_varlen_answer_logits", "packed_varlen_bf16_lora",
            "grouped_gradient_checkpointing", "grouped_unfused_adamw"} <= set(variants)
    for v in variants.values():
        assert v["tokens_per_s"] > 0 and (v["useful_tokens"] == by["model"][0]["tokens"] or v["partial"]), v
        assert v["micro_batches"] <= v["planned_micro_batches"] and v["optimizer_steps"] >= 1
        assert v["epoch_s"] > 0 and v["flops_per_token"] > 0
        if v["batching"] == "packed":
            assert v["padding_pct"] == 0.0
            check = v["loss_check"]
            assert check["pass"] is True and check["rel_diff"] <= check["tolerance"] == 1e-4, v
    assert variants["packed_varlen"]["attention_fallback"].startswith("segments instead of varlen")  # no CUDA here
    assert variants["grouped"]["padding_pct"] > 0  # padded to each batch's longest

    evs = {e["name"]: e for e in by["evaluate"]}
    assert set(evs) == {"loss_gate_score_before", "loss_gate_score_now", "loss_gate_score_now_2x_batch"}
    for ev in evs.values():
        assert ev["tokens_per_s"] > 0 and ev["tokens_read"] == by["model"][0]["tokens"] and ev["loss"] > 0 and ev["ratio_vs_train"] > 0
    before, now = evs["loss_gate_score_before"], evs["loss_gate_score_now"]
    assert before["answer_logits"] is False and now["answer_logits"] is True and now["adapter_dtype"] == "float32"  # the CPU's dtype
    assert now["loss"] == pytest.approx(before["loss"], rel=1e-4) and now["scored_tokens"] == before["scored_tokens"]

    summary = {s["name"]: s for s in by["summary"]}
    best = min(variants.values(), key=lambda v: v["epoch_s"] + v["warmup_s"])  # a night's time, warm-up included
    assert summary["trainer.gpu_tokens_per_s"]["value"] == best["tokens_per_s"]
    assert summary["trainer.gpu_vs_recipe"]["value"] == pytest.approx(best["tokens_per_s"] / base["tokens_per_s"], rel=0.01)
    assert summary["recommendation"]["variant"] == best["variant"]
    trainer = summary["trainer.gpu_trainer_tokens_per_s"]
    assert trainer["value"] == current["tokens_per_s"] and trainer["vs_recipe"] == pytest.approx(current["tokens_per_s"] / base["tokens_per_s"], rel=0.01)
    assert trainer["settings"]["micro_batching"] == "padded"
    run = summary["run"]
    assert run["errors"] == [] and run["failed_loss_checks"] == [] and run["correctness"] == {"packing_logits": True, "loss_falls": True, "merged_equal": True}


def test_a_short_budget_skips_later_parts_and_says_so():
    code, lines, stderr = bench([*CPU_RUN, "--budget-s", "0"])
    assert code == 0, stderr
    sections = [line["section"] for line in lines]
    assert sections[:4] == ["env", "memory_plan", "memory_plan", "memory_plan"]  # arithmetic always runs
    skipped = [line for line in lines if line.get("skipped") is True]
    assert {s["section"] for s in skipped} == {"correctness", "model"}
    assert [s["name"] for s in skipped if s["section"] == "correctness"] == ["packing_logits", "correctness"]
    assert all("time budget" in s["reason"] for s in skipped)
    run = lines[-1]
    assert run["name"] == "run" and {s["section"] for s in run["skipped"]} >= {"correctness", "model", "baseline", "variants", "evaluate"}


def test_a_failing_part_is_an_error_line_and_the_run_goes_on(tmp_path):
    bad = tmp_path / "config.json"
    bad.write_text(json.dumps({"model_type": "no-such-architecture", "hidden_size": 64}))  # transformers cannot build it
    code, lines, stderr = bench([*CPU_RUN, "--config", str(bad), "--sections", "memory_plan,baseline,summary", "--budget-s", "300"])
    assert code == 0, stderr
    errors = [line for line in lines if "error" in line]
    assert len(errors) == 1 and errors[0]["section"] == "model" and errors[0]["oom"] is False
    run = lines[-1]
    assert run["name"] == "run" and [e["section"] for e in run["errors"]] == ["model"]
    assert {"section": "baseline", "reason": "the model was not built"} in run["skipped"]


def test_cuda_without_a_gpu_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    code, lines, _ = bench(["--device", "cuda", "--config", "tiny"])
    assert code == 2 and "no CUDA device" in lines[0]["error"] and "--device cpu" in lines[0]["error"]


def test_unknown_variant_or_section_is_refused():
    code, _, stderr = bench([*CPU_RUN, "--sections", "nonsense"])
    assert code != 0 and "unknown section(s) nonsense" in stderr


# --- packing: attention stays inside each sample ---------------------------------------------


@pytest.fixture(scope="module")
def tiny_qwen2():
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    raw, _ = load_config("tiny")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**raw), dtype=torch.float32, attn_implementation="sdpa").eval()
    return model


def _examples() -> list[Example]:
    return synthetic_examples(5, 40, 512, 128, seed=3)


def test_packed_loss_equals_unpacked_and_a_plain_concatenation_does_not(tiny_qwen2):
    import torch

    model = tiny_qwen2
    ex = _examples()
    with torch.no_grad():
        set_attn_implementation(model, "sdpa")
        unpacked = float(model(**collate(ex, 0)).loss)
        losses = {}
        for mode in ("mask", "segments"):
            set_attn_implementation(model, attn_implementation(mode))
            losses[mode] = float(model(**collate_packed(ex, mode)).loss)
        # Negative control: the same row without sample boundaries (positions 0..T-1, plain
        # causal attention) lets each sample see the ones before it: the loss changes.
        set_attn_implementation(model, "sdpa")
        row = collate_packed(ex, "mask")
        plain = float(model(input_ids=row["input_ids"], labels=row["labels"]).loss)
    for mode, value in losses.items():
        assert value == pytest.approx(unpacked, rel=1e-5), mode
    assert abs(plain - unpacked) / unpacked > 1e-3


def test_packed_row_scores_the_same_tokens():
    ex = _examples()
    row = collate_packed(ex, "segments")
    n = sum(len(e) for e in ex)
    assert row["input_ids"].shape == (1, n) and row["cu_seq_lens_q"].tolist() == [0, *itertools.accumulate(len(e) for e in ex)]
    assert row["position_ids"][0].tolist() == [p for e in ex for p in range(len(e))]
    scored_packed = int((row["labels"][0, 1:] != IGNORE_INDEX).sum())
    assert scored_packed == sum(e.scored_tokens for e in ex)
    assert "cu_seq_lens_q" not in collate_packed(ex, "mask")
    with pytest.raises(ValueError, match="attention must be one of"):
        collate_packed(ex, "flash")


@pytest.mark.parametrize("plan", [plan_grouped, plan_packed])
def test_plans_use_every_sample_once_within_the_budget(plan):
    lengths = [5, 300, 17, 64, 64, 120, 1, 90, 33, 250, 7]
    budget = 256
    batches = plan(lengths, budget, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        cost = len(b) * max(lengths[i] for i in b) if plan is plan_grouped else sum(lengths[i] for i in b)
        assert cost <= budget or len(b) == 1  # a sample over the budget is a batch of its own
    assert [1] in batches  # the 300-token sample
    if plan is plan_packed:
        assert len(batches) == 4  # first-fit decreasing: the 300 alone, the other 651 tokens in 3 rows of 256


# --- arithmetic -------------------------------------------------------------------------------


def test_memory_plan_counts_the_real_parameters(tiny_qwen2):
    from peft import LoraConfig, get_peft_model

    raw, _ = load_config("tiny")
    plan = memory_plan(raw, rank=16)
    assert plan["params"] == sum(p.numel() for p in tiny_qwen2.parameters())
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    import copy

    peft_model = get_peft_model(copy.deepcopy(tiny_qwen2), LoraConfig(r=16, target_modules=targets))
    assert plan["lora_params"] == sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    seven = memory_plan(load_config("qwen2.5-coder-7b")[0])
    assert seven["params"] == 7_615_616_512  # Qwen2.5-7B's published 7.61 B
    assert seven["lora_params"] == 40_370_176 and seven["weights_gib"] == pytest.approx(14.2, abs=0.05)
    big = memory_plan(load_config("qwen2.5-coder-32b")[0])
    assert big["params"] == pytest.approx(32.76e9, rel=0.001)
    assert big["gpus"]["H200 141GB"]["tokens_per_micro_batch"] > big["gpus"]["H100 80GB"]["tokens_per_micro_batch"]


def test_peak_by_device_name_and_flops():
    assert bf16_peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert bf16_peak_tflops("NVIDIA H200") == 989.0
    assert bf16_peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert bf16_peak_tflops("NVIDIA H200 NVL") == 835.0
    assert bf16_peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert bf16_peak_tflops("Tesla T4") is None
    assert attention_span([1000, 1000]) == 1000 and attention_span([100, 300]) == pytest.approx((100**2 + 300**2) / 400)
    # 4·N_frozen + 6·N_lora + 12·L·d·s
    assert flops_per_token(1000, 10, 2, 8, 5.0) == 4000 + 60 + 960


def test_synthetic_lengths_spread_like_real_samples():
    ex = synthetic_examples(200, 1000, 152064, 2048)
    lengths = sorted(len(e) for e in ex)
    mean = sum(lengths) / len(lengths)
    assert 850 < mean < 1100 and lengths[0] >= 125 and lengths[-1] <= 2048
    p10, p50, p90 = lengths[20], lengths[100], lengths[180]
    assert p10 < 0.7 * p50 and p90 > 1.3 * p50  # a real spread, not ±10 %
    assert all(0 < e.scored_tokens < len(e) for e in ex)
