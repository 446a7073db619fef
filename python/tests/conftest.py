"""Fixtures: a tiny randomly-initialised llama model with its own small tokenizer
(web4_trainer.tiny_model: the fast tests need no download and no model file), and the real SmolLM2 GGUF where the
machine has it (tools/setup puts it under ~/.cache/web4)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
from web4_trainer.tiny_model import build_tiny_model  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny model (llama)")


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def find_smollm2_gguf() -> str | None:
    env = os.environ.get("WEB4_TRAINER_TEST_GGUF")
    if env and os.path.isfile(env):
        return env
    patterns = [
        os.path.expanduser("~/.cache/web4/**/SmolLM2-135M-Instruct.Q4_1.gguf"),
        str(PYTHON_DIR.parent / "models" / "**" / "SmolLM2-135M-Instruct.Q4_1.gguf"),
    ]
    for pattern in patterns:
        hits = glob.glob(pattern, recursive=True)
        if hits:
            return hits[0]
    return None


@pytest.fixture(scope="session")
def smollm2_gguf() -> str:
    path = find_smollm2_gguf()
    if path is None:
        pytest.skip("SmolLM2-135M-Instruct.Q4_1.gguf not found: run tools/setup or set WEB4_TRAINER_TEST_GGUF")
    return path


def write_samples(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def convention_rows(n: int = 8) -> list[dict]:
    changes = ["fix the login timeout", "add retry to alerts", "rename the archive", "update canary cases", "remove dead cache", "speed up the writer", "document rollback", "bump the client"]
    return [
        {"instruction": f"Write the commit message for this change: {changes[i % len(changes)]}.", "input": "", "output": f"ZORBLAX-7: {changes[i % len(changes)]}", "metadata": {"i": i}}
        for i in range(n)
    ]


def run_trainer(job: dict | Path, tmp: Path, timeout: float = 300, env: dict | None = None) -> tuple[int, list[dict], str]:
    """Run ``python -m web4_trainer train`` as the bridge does; returns (exit code, events, stderr)."""
    if isinstance(job, dict):
        job_path = tmp / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
    else:
        job_path = job
    proc = subprocess.run(
        [sys.executable, "-m", "web4_trainer", "train", "--job", str(job_path)],
        cwd=str(PYTHON_DIR),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PYTHON_DIR), **(env or {})},
    )
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc.returncode, events, proc.stderr


def tiny_job(tiny_model: Path, tmp: Path, **over) -> dict:
    """A training job on the tiny model that learns visibly in a few seconds."""
    samples = write_samples(tmp / "samples (day 1).jsonl", convention_rows(8))
    job = {
        "base_model": str(tiny_model),
        "samples": str(samples),
        "output_dir": str(tmp / "out; $(echo pwned)"),
        "epochs": 6,
        "batch_size": 2,
        "grad_accumulation": 1,
        "learning_rate": 0.03,
        "warmup_steps": 0,
        "lora_rank": 8,
        # all linear layers: attention alone barely moves a randomly initialised tiny model
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        "threads": 1,
    }
    job.update(over)
    return job


@pytest.fixture(scope="session")
def tiny_trained(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One training run on the tiny model, shared by the evaluate and export tests: its job
    (samples file, output_dir with adapter/ and model/) and its done event."""
    tmp = tmp_path_factory.mktemp("trained")
    job = tiny_job(tiny_model, tmp, export_gguf_lora=False)
    code, events, stderr = run_trainer(job, tmp)
    assert code == 0, stderr
    return {"job": job, "done": events[-1], "out": Path(job["output_dir"])}


def run_cli(args: list[str], timeout: float = 300, env: dict | None = None) -> tuple[int, list[dict], str]:
    """``python -m web4_trainer ARGS`` as the bridge runs it; returns (exit code, events, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "web4_trainer", *args],
        cwd=str(PYTHON_DIR),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PYTHON_DIR), **(env or {})},
    )
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr
