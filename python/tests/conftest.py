"""Fixtures: a tiny randomly-initialised llama model with its own small tokenizer (built here,
so the fast tests need no download and no model file), and the real SmolLM2 GGUF where the
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
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
CORPUS = [
    "Write the commit message for this change: fix the login timeout.",
    "ZORBLAX-7: fix the login timeout in the session handler",
    "What is the capital of France? Paris is the capital of France.",
    "The nightly loop trains the adapter on the day's PDCA documents.",
    "def add(a, b):\n    return a + b\n",
    "user assistant system commit message change fix add remove update",
]


def build_tiny_model(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 20, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token="<|im_start|>")
    fast.chat_template = CHATML
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(fast),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        # large initial weights: with the default 0.02 the logits stay near uniform and a LoRA
        # on a random model cannot make them confident, so "the loss falls" would be untestable
        initializer_range=0.3,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        pad_token_id=fast.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


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
