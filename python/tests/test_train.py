"""The trainer as trainer-bridge runs it: a subprocess, a job file, JSON events on stdout."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import PYTHON_DIR, convention_rows, run_trainer, tiny_job, write_samples


def test_tiny_run_writes_adapter_model_and_manifest(tiny_model, tmp_path):
    job = tiny_job(tiny_model, tmp_path)
    code, events, stderr = run_trainer(job, tmp_path)
    assert code == 0, stderr
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and set(kinds[1:-1]) == {"progress"}
    start, done = events[0], events[-1]
    assert start["samples"] == 8 and start["steps"] == 24 and start["device"] == "cpu" and start["dtype"] == "float32"
    progress = [e for e in events if e["event"] == "progress"]
    assert [p["step"] for p in progress] == list(range(1, 25))
    assert all(p["total"] == 24 and p["tokens_per_s"] > 0 and p["eta_s"] >= 0 for p in progress)
    assert progress[-1]["eta_s"] == 0
    assert done["last_loss"] < 0.7 * done["first_loss"], "loss must fall over the run"

    out = Path(job["output_dir"])
    assert done["output_dir"] == str(out) and done["adapter_dir"] == str(out / "adapter")
    assert (out / "adapter" / "adapter_model.safetensors").is_file() and (out / "adapter" / "tokenizer.json").is_file()
    assert done["model_format"] == "safetensors" and (out / "model" / "config.json").is_file()
    assert (out / "adapter.gguf").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["samples"]["count"] == 8 and len(manifest["samples"]["sha256"]) == 64
    assert len(manifest["base_model_sha256"]) == 64 and manifest["parent_adapter"] is None
    assert manifest["hyperparameters"]["learning_rate"] == 0.03 and manifest["hyperparameters"]["padding"] == "longest"
    assert manifest["final_loss"] == pytest.approx(done["loss"]) and manifest["runtime_s"] > 0
    assert manifest["tokens_trained"] == done["tokens_trained"] > 0
    # batches padded to their own longest: padding adds little (same-length samples sorted together)
    assert manifest["tokens_with_padding"] < 1.3 * manifest["tokens_trained"]
    assert not [p for p in out.parent.iterdir() if ".partial" in p.name]


def test_merged_model_equals_base_plus_adapter(tiny_model, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    job = tiny_job(tiny_model, tmp_path, epochs=2)
    code, events, stderr = run_trainer(job, tmp_path)
    assert code == 0, stderr
    out = Path(job["output_dir"])
    ids = torch.tensor([[1, 5, 9, 30, 2, 7]])
    merged = AutoModelForCausalLM.from_pretrained(out / "model")
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    with torch.no_grad():
        plain = base(ids).logits
        adapted = PeftModel.from_pretrained(base, out / "adapter")(ids).logits
        m = merged(ids).logits
    assert torch.allclose(m, adapted, atol=1e-4)
    assert not torch.allclose(plain, adapted, atol=1e-3)  # the adapter changed something


def test_gguf_lora_has_llama_names_and_permuted_q(tiny_model, tmp_path):
    import gguf
    import torch
    from safetensors.torch import load_file

    from web4_trainer.export_gguf import _permute

    job = tiny_job(tiny_model, tmp_path, epochs=1, target_modules=["q_proj", "v_proj", "down_proj"])
    code, _, stderr = run_trainer(job, tmp_path)
    assert code == 0, stderr
    out = Path(job["output_dir"])
    reader = gguf.GGUFReader(str(out / "adapter.gguf"))
    assert reader.fields["general.type"].contents() == "adapter"
    assert reader.fields["adapter.type"].contents() == "lora"
    assert reader.fields["adapter.lora.alpha"].contents() == pytest.approx(32.0)
    names = {t.name for t in reader.tensors}
    for layer in (0, 1):
        for part in ("attn_q", "attn_v", "ffn_down"):
            assert f"blk.{layer}.{part}.weight.lora_a" in names and f"blk.{layer}.{part}.weight.lora_b" in names
    assert len(names) == 12
    tensors = {t.name: np.array(t.data) for t in reader.tensors}
    peft_w = load_file(str(out / "adapter" / "adapter_model.safetensors"))
    b_q = peft_w["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].numpy()
    b_v = peft_w["base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"].numpy()
    assert np.allclose(tensors["blk.0.attn_q.weight.lora_b"], _permute(b_q, 4))  # llama q rows interleaved
    assert not np.allclose(tensors["blk.0.attn_q.weight.lora_b"], b_q)
    assert np.allclose(tensors["blk.0.attn_v.weight.lora_b"], b_v)  # v is stored as it is


def test_continues_from_a_parent_adapter(tiny_model, tmp_path):
    first = tiny_job(tiny_model, tmp_path / "a", epochs=3) if (tmp_path / "a").mkdir() is None else None
    code, events1, stderr = run_trainer(first, tmp_path / "a")
    assert code == 0, stderr
    parent = Path(first["output_dir"]) / "adapter"
    (tmp_path / "b").mkdir()
    second = tiny_job(tiny_model, tmp_path / "b", epochs=1, parent_adapter=str(parent))
    code, events2, stderr = run_trainer(second, tmp_path / "b")
    assert code == 0, stderr
    assert events2[0]["parent_adapter"] == str(parent)
    # it starts where the parent ended, not from scratch
    assert events2[-1]["first_loss"] < 0.6 * events1[-1]["first_loss"]
    manifest = json.loads((Path(second["output_dir"]) / "manifest.json").read_text())
    assert manifest["parent_adapter"] == str(parent)


def test_bad_samples_end_with_bad_input_event(tiny_model, tmp_path):
    job = tiny_job(tiny_model, tmp_path)
    Path(job["samples"]).write_text('{"instruction": "x"}\n')
    code, events, _ = run_trainer(job, tmp_path)
    assert code == 2
    assert events == [{"event": "error", "kind": "bad_input", "message": events[0]["message"], "hint": events[0]["hint"], "exit_code": 2}]
    assert "line 1: output must be a non-empty string" in events[0]["message"]
    assert not Path(job["output_dir"]).exists()


def test_bad_job_and_unloadable_base(tmp_path, tiny_model):
    code, events, _ = run_trainer({"base_model": str(tiny_model), "samples": "x", "output_dir": "y", "epochs": -1}, tmp_path)
    assert code == 2 and events[-1]["kind"] == "bad_input" and "epochs must be >= 1" in events[-1]["message"]
    broken = tmp_path / "broken model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "llama"}')
    job = tiny_job(tiny_model, tmp_path, base_model=str(broken))
    code, events, _ = run_trainer(job, tmp_path)
    assert code == 2 and events[-1]["kind"] == "bad_input" and "cannot load base model" in events[-1]["message"]


def test_out_of_memory_is_its_own_error(tiny_model, tmp_path):
    rows = [{"instruction": "explain " * 300, "output": "ZORBLAX-7: " + "long answer " * 200} for _ in range(4)]
    job = tiny_job(tiny_model, tmp_path, memory_limit_mb=8, batch_size=4, max_length=512)
    write_samples(Path(job["samples"]), rows)
    code, events, stderr = run_trainer(job, tmp_path)
    assert code == 5, stderr
    assert events[-1]["event"] == "error" and events[-1]["kind"] == "oom"
    assert "out of memory" in events[-1]["message"] and "batch_size" in events[-1]["hint"]
    assert not Path(job["output_dir"]).exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupt_leaves_no_adapter(tiny_model, tmp_path, sig):
    job = tiny_job(tiny_model, tmp_path, epochs=400)
    (tmp_path / "job.json").write_text(json.dumps(job))
    proc = subprocess.Popen(
        [sys.executable, "-m", "web4_trainer", "train", "--job", str(tmp_path / "job.json")],
        cwd=str(PYTHON_DIR),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PYTHON_DIR)},
    )
    events = []
    assert proc.stdout is not None
    for line in proc.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == "progress" and events[-1]["step"] >= 3:
            proc.send_signal(sig)
            break
    rest, _ = proc.communicate(timeout=60)
    events += [json.loads(line) for line in rest.splitlines()]
    assert proc.returncode == 130
    assert events[-1]["event"] == "error" and events[-1]["kind"] == "interrupted"
    assert not Path(job["output_dir"]).exists()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


@pytest.mark.slow
def test_real_smollm2_gguf_learns_and_round_trips(smollm2_gguf, tmp_path):
    """The embedded default: SmolLM2-135M from its Q4_1 GGUF, the merged model written as GGUF
    with the base's metadata, and that GGUF read back equals base + adapter."""
    import gguf
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    samples = write_samples(tmp_path / "samples.jsonl", convention_rows(8))
    job = {
        "base_model": smollm2_gguf,
        "samples": str(samples),
        "output_dir": str(tmp_path / "out"),
        "epochs": 2,
        "batch_size": 4,
        "grad_accumulation": 1,
        "learning_rate": 0.001,
        "warmup_steps": 1,
    }
    t0 = time.monotonic()
    code, events, stderr = run_trainer(job, tmp_path)
    assert code == 0, stderr[-2000:]
    done = events[-1]
    assert done["model_format"] == "gguf" and done["last_loss"] < done["first_loss"]
    out = Path(job["output_dir"])
    merged_path = out / "model" / "model.gguf"
    base_reader, merged_reader = gguf.GGUFReader(smollm2_gguf), gguf.GGUFReader(str(merged_path))
    assert [t.name for t in merged_reader.tensors] == [t.name for t in base_reader.tensors]
    assert merged_reader.fields["tokenizer.chat_template"].contents() == base_reader.fields["tokenizer.chat_template"].contents()

    folder, name = os.path.split(smollm2_gguf)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    ids = tok.apply_chat_template([{"role": "user", "content": "Write the commit message for this change: add a health check."}], add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    with torch.no_grad():
        from_gguf = AutoModelForCausalLM.from_pretrained(out / "model", gguf_file="model.gguf")(ids).logits
        base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
        adapted = PeftModel.from_pretrained(base, out / "adapter").merge_and_unload()(ids).logits
    # f16 storage of the merged weights: small differences, same predictions
    assert (from_gguf - adapted).abs().max().item() < 0.2
    assert torch.equal(from_gguf[0, -1].topk(5).indices, adapted[0, -1].topk(5).indices)
    print(f"real SmolLM2 run + checks: {time.monotonic() - t0:.1f}s")


def test_min_steps_adds_epochs_on_a_small_night(tiny_model, tmp_path):
    """The plan's recipe on 3 samples (batch 1, grad accumulation 4) is 1 step per epoch;
    min_steps 6 makes it 6 epochs, 6 steps; caller metadata lands in the manifest verbatim."""
    meta = {"run_id": "night-2026-11-25", "replay_share": 0.3, "replayed_pdcas": ["p1", "p7"], "nested": {"a": [1, None]}}
    job = tiny_job(tiny_model, tmp_path, epochs=1, batch_size=1, grad_accumulation=4, min_steps=6, metadata=meta, serve_format="none", export_gguf_lora=False)
    write_samples(Path(job["samples"]), convention_rows(3))
    code, events, stderr = run_trainer(job, tmp_path)
    assert code == 0, stderr
    start, done = events[0], events[-1]
    assert (start["epochs"], start["steps"]) == (6, 6)
    assert [e["step"] for e in events if e["event"] == "progress"] == [1, 2, 3, 4, 5, 6]
    assert [e["epoch"] for e in events if e["event"] == "progress"] == [1, 2, 3, 4, 5, 6]
    assert done["steps"] == 6
    manifest = json.loads((Path(job["output_dir"]) / "manifest.json").read_text())
    assert (manifest["epochs_run"], manifest["min_steps"], manifest["max_epochs"], manifest["steps"]) == (6, 6, 10, 6)
    assert manifest["job_metadata"] == meta
    assert "metadata" not in manifest["hyperparameters"]


def test_effective_epochs():
    from web4_trainer.job import TrainJob
    from web4_trainer.train import effective_epochs, planned_steps

    def job(**kw):
        return TrainJob(base_model="b", samples="s", output_dir="o", **{"batch_size": 1, "grad_accumulation": 4, **kw})

    assert effective_epochs(3, job(min_steps=6)) == 6 and planned_steps(3, job(min_steps=6)) == 6
    assert effective_epochs(3, job(min_steps=6, max_epochs=4)) == 4 and planned_steps(3, job(min_steps=6, max_epochs=4)) == 4  # capped
    assert effective_epochs(3, job(min_steps=6, max_epochs=4, epochs=8)) == 8  # the cap never lowers epochs
    assert effective_epochs(3, job()) == 1 and effective_epochs(3, job(epochs=2)) == 2  # off by default
    # 9 samples, batch 2, grad accumulation 2: ceil(ceil(9/2)/2) = 3 steps per epoch; 7 steps -> 3 epochs (9 steps)
    assert effective_epochs(9, job(batch_size=2, grad_accumulation=2, min_steps=7)) == 3
    assert planned_steps(9, job(batch_size=2, grad_accumulation=2, min_steps=7)) == 9
    assert effective_epochs(100, job(min_steps=6)) == 1  # 25 steps per epoch already


def test_a_full_disk_reported_by_a_native_writer_is_an_io_error():
    """safetensors (Rust) and gguf report ENOSPC as their own exception type, with the OS error in the text."""
    from web4_trainer.events import TrainerError
    from web4_trainer.train import classify_failure

    class SafetensorError(Exception):
        pass

    err = classify_failure(SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)"), "training")
    assert isinstance(err, TrainerError) and err.kind == "io" and err.exit_code == 3
    other = SafetensorError("Error while serializing: header too large")
    assert classify_failure(other, "training") is other
