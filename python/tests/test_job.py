import json
from pathlib import Path

import pytest

from web4_trainer.events import TrainerError
from web4_trainer.job import TrainJob, load_job, parse_job


def minimal(tmp_path: Path) -> dict:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "config.json").write_text("{}")
    (tmp_path / "s.jsonl").write_text('{"instruction":"a","output":"b"}\n')
    return {"base_model": str(tmp_path / "base"), "samples": str(tmp_path / "s.jsonl"), "output_dir": str(tmp_path / "out")}


def test_defaults_follow_the_plan(tmp_path):
    job = parse_job(minimal(tmp_path))
    assert (job.epochs, job.batch_size, job.grad_accumulation, job.learning_rate, job.warmup_steps, job.max_length) == (1, 1, 4, 1e-4, 10, 2048)
    assert job.padding == "longest"  # never padded to max_length by default
    assert job.device == "auto" and job.parent_adapter is None and job.serve_format == "auto"
    assert (job.min_steps, job.max_epochs, job.metadata) == (0, 10, {})


def test_metadata_is_kept_verbatim(tmp_path):
    meta = {"run_id": "r1", "replayed": ["p1", "p2"], "share": 0.25, "deep": {"x": None}}
    assert parse_job(minimal(tmp_path) | {"metadata": meta, "min_steps": 6, "max_epochs": 3}).metadata == meta


def test_relative_paths_are_relative_to_the_job_file(tmp_path):
    data = minimal(tmp_path)
    data.update(samples="s.jsonl", output_dir="out dir; $(rm -rf x)")
    path = tmp_path / "job.json"
    path.write_text(json.dumps(data))
    job = load_job(path)
    assert job.samples == str(tmp_path / "s.jsonl")
    assert job.output_dir == str(tmp_path / "out dir; $(rm -rf x)")


def test_gguf_base_is_recognised(tmp_path):
    data = minimal(tmp_path)
    (tmp_path / "m.gguf").write_bytes(b"GGUF")
    data["base_model"] = str(tmp_path / "m.gguf")
    assert parse_job(data).base_is_gguf


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"epochs": "2"}, "epochs must be int"),
        ({"learning_rate": 2}, "learning_rate must be in (0, 1)"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"padding": "max"}, 'padding must be "longest" | "max_length"'),
        ({"lr": 0.1}, "unknown field(s) lr"),
        ({"target_modules": []}, "target_modules must name at least one module"),
        ({"use_cache": True, "device": "tpu"}, "unknown field(s) use_cache"),
        ({"min_steps": -1}, "min_steps must be >= 0"),
        ({"min_steps": 2.5}, "min_steps must be int, got 2.5"),
        ({"max_epochs": 0}, "max_epochs must be >= 1"),
        ({"metadata": ["run-1"]}, 'metadata must be an object, got ["run-1"]'),
        ({"metadata": "run-1"}, 'metadata must be an object, got "run-1"'),
    ],
)
def test_bad_fields_are_named(tmp_path, change, expected):
    data = minimal(tmp_path) | change
    with pytest.raises(TrainerError) as err:
        parse_job(data)
    assert err.value.kind == "bad_input" and err.value.exit_code == 2
    assert expected in err.value.message


def test_missing_required_and_missing_files(tmp_path):
    with pytest.raises(TrainerError, match="base_model is required; samples is required"):
        parse_job({"output_dir": "x"})
    data = minimal(tmp_path) | {"samples": str(tmp_path / "nope.jsonl"), "parent_adapter": str(tmp_path)}
    with pytest.raises(TrainerError) as err:
        parse_job(data)
    assert "samples file" in err.value.message and "does not exist" in err.value.message
    assert "not a PEFT adapter folder" in err.value.message


def test_output_dir_must_be_new_or_empty(tmp_path):
    data = minimal(tmp_path)
    (tmp_path / "out").mkdir()
    parse_job(data)  # empty is fine
    (tmp_path / "out" / "manifest.json").write_text("{}")
    with pytest.raises(TrainerError, match="already exists and is not empty"):
        parse_job(data)


def test_unreadable_job_files(tmp_path):
    with pytest.raises(TrainerError, match="does not exist"):
        load_job(tmp_path / "job.json")
    (tmp_path / "job.json").write_text("{not json")
    with pytest.raises(TrainerError, match=r"not valid JSON \(line 1"):
        load_job(tmp_path / "job.json")
    (tmp_path / "job.json").write_text("[]")
    with pytest.raises(TrainerError, match="must be a JSON object"):
        load_job(tmp_path / "job.json")


def test_gguf_serving_needs_a_gguf_base(tmp_path):
    with pytest.raises(TrainerError, match='serve_format "gguf" needs a .gguf base_model'):
        parse_job(minimal(tmp_path) | {"serve_format": "gguf"})


def test_every_field_is_documented():
    # The job is the user-facing contract: each field carries a docstring or comment in job.py.
    source = Path(__file__).resolve().parents[1].joinpath("web4_trainer", "job.py").read_text()
    for name in TrainJob.__dataclass_fields__:
        assert f"    {name}:" in source
