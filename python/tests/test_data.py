from pathlib import Path

import pytest

from web4_trainer.data import IGNORE_INDEX, Sample, collate, plan_batches, read_samples, tokenize_sample
from web4_trainer.events import TrainerError

from conftest import write_samples


def test_loss_counts_only_the_answer(tiny_tokenizer):
    s = Sample(instruction="Write the commit message", input="fix the login timeout", output="ZORBLAX-7: fix the login timeout")
    ex = tokenize_sample(tiny_tokenizer, s, max_length=512)
    answer = [t for t, l in zip(ex.input_ids, ex.labels) if l != IGNORE_INDEX]
    prompt = [t for t, l in zip(ex.input_ids, ex.labels) if l == IGNORE_INDEX]
    assert tiny_tokenizer.decode(answer) == "ZORBLAX-7: fix the login timeout<|im_end|>\n"
    decoded_prompt = tiny_tokenizer.decode(prompt)
    assert decoded_prompt == "<|im_start|>user\nWrite the commit message\n\nfix the login timeout<|im_end|>\n<|im_start|>assistant\n"
    # every label that counts is the token itself (no shift here: the model shifts)
    assert all(l == t for t, l in zip(ex.input_ids, ex.labels) if l != IGNORE_INDEX)


def test_long_samples_keep_answer_tokens(tiny_tokenizer):
    s = Sample(instruction="explain " * 400, output="ZORBLAX-7: short answer " * 10)
    ex = tokenize_sample(tiny_tokenizer, s, max_length=128)
    assert len(ex) <= 128 and ex.truncated
    assert ex.answer_tokens >= 64  # at least half the room stays for the answer


def test_batches_pad_to_their_own_longest(tiny_tokenizer):
    texts = ["a", "a longer answer here", "the longest answer of all in this batch"]
    exs = [tokenize_sample(tiny_tokenizer, Sample(instruction="q", output=t), 2048) for t in texts]
    batch = collate(exs, pad_id=tiny_tokenizer.pad_token_id)
    width = max(len(e) for e in exs)
    assert batch["input_ids"].shape == (3, width) and width < 100  # not 2048
    for row, e in enumerate(exs):
        assert int(batch["attention_mask"][row].sum()) == len(e)
        assert (batch["labels"][row, len(e):] == IGNORE_INDEX).all()
    recipe = collate(exs, pad_id=tiny_tokenizer.pad_token_id, pad_to=2048)
    assert recipe["input_ids"].shape == (3, 2048)


def test_batch_plan_groups_by_length_and_covers_every_sample():
    lengths = [50, 10, 40, 11, 51, 12, 41, 9]
    batches = plan_batches(lengths, batch_size=2, sort_by_length=True, seed=1)
    assert sorted(i for b in batches for i in b) == list(range(8))
    spreads = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    assert max(spreads) <= 2
    assert plan_batches(lengths, 2, True, 1) == batches  # deterministic per seed


def test_samples_file_problems_are_reported_by_line(tmp_path: Path):
    p = tmp_path / "s.jsonl"
    p.write_text('{"instruction":"a","output":"b"}\n\nnot json\n{"instruction":"","output":"x"}\n[1]\n{"instruction":"a","output":"b","metadata":3}\n')
    with pytest.raises(TrainerError) as err:
        read_samples(p)
    msg = err.value.message
    assert err.value.kind == "bad_input"
    for expected in ("line 3: not JSON", "line 4: instruction must be a non-empty string", "line 5: expected an object", "line 6: metadata must be an object"):
        assert expected in msg


def test_empty_samples_file_is_bad_input(tmp_path: Path):
    p = tmp_path / "s.jsonl"
    p.write_text("\n")
    with pytest.raises(TrainerError, match="holds no samples"):
        read_samples(p)


def test_read_samples_checksum_and_fields(tmp_path: Path):
    p = write_samples(tmp_path / "s.jsonl", [{"instruction": "i", "input": "x", "output": "o", "metadata": {"pdca_id": "p1"}}])
    samples, digest = read_samples(p)
    assert len(digest) == 64 and samples[0].metadata == {"pdca_id": "p1"}
    assert samples[0].messages()[0]["content"] == "i\n\nx"
