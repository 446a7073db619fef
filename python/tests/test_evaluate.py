"""``python -m web4_trainer evaluate``: loss of models on sample sets, as the loss gate uses it."""

import io
import json
from pathlib import Path

import pytest

from web4_trainer.data import read_samples, tokenize_samples
from web4_trainer.evaluate import evaluate, plan_eval_batches
from web4_trainer.events import EventStream, TrainerError
from web4_trainer.job import EvalJob, load_eval_job, parse_eval_job

from conftest import convention_rows, run_cli, write_samples


def varied_rows() -> list[dict]:
    """Samples of clearly different lengths, so that batches need padding."""
    rows = convention_rows(5)
    rows.append({"instruction": "Describe the nightly loop.", "input": "in detail", "output": "The nightly loop trains the adapter on the day's PDCA documents. " * 4})
    rows.append({"instruction": "q", "output": "a"})
    return rows


def run_eval(job: dict, tmp: Path) -> tuple[dict, list[dict]]:
    buf = io.StringIO()
    done = evaluate(parse_eval_job(job, base_dir=tmp), EventStream(buf))
    return done, [json.loads(line) for line in buf.getvalue().splitlines()]


def test_base_loss_equals_a_hand_computation(tiny_model, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    samples = write_samples(tmp_path / "night.jsonl", varied_rows())
    # a small batch_tokens: several batches, each padded to its own longest
    job = {"base_model": str(tiny_model), "models": [{"name": "base", "adapter": None}], "sets": [{"name": "night", "samples": "night.jsonl"}], "batch_tokens": 160, "threads": 1}
    done, events = run_eval(job, tmp_path)

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    examples = tokenize_samples(tok, read_samples(samples)[0], 2048)
    assert len(plan_eval_batches([len(e) for e in examples], 160)) > 2
    total, n = 0.0, 0
    with torch.no_grad():
        for e in examples:  # one sample at a time, the model's own loss on the same tokens
            ids = torch.tensor([e.input_ids])
            loss = model(input_ids=ids, labels=torch.tensor([e.labels])).loss
            scored = sum(1 for t in e.labels[1:] if t != -100)
            total += float(loss) * scored
            n += scored
    result = done["results"]["base"]["night"]
    assert result["tokens"] == n and result["samples"] == 7
    assert result["loss"] == pytest.approx(total / n, abs=1e-5)
    assert [e["event"] for e in events] == ["start", "eval", "done"]
    start, ev = events[0], events[1]
    assert start["models"] == ["base"] and start["sets"] == ["night"] and start["device"] == "cpu" and start["dtype"] == "float32"
    assert start["set_tokens"] == {"night": n}
    assert ev["model"] == "base" and ev["set"] == "night" and ev["loss"] == result["loss"] and ev["tokens"] == n
    assert ev["tokens_per_s"] > 0 and ev["runtime_s"] >= 0


def test_adapters_are_removed_between_entries_and_a_trained_adapter_scores_lower(tiny_model, tiny_trained, tmp_path):
    out = tiny_trained["out"]
    write_samples(tmp_path / "empty.jsonl", [])
    job = {
        "base_model": str(tiny_model),
        "models": [
            {"name": "base before", "adapter": None},
            {"name": "candidate", "adapter": str(out / "adapter")},
            {"name": "base after"},
            {"name": "candidate again", "adapter": str(out / "adapter")},
            {"name": "merged", "model": str(out / "model")},
            {"name": "base last", "adapter": None},
        ],
        "sets": [{"name": "night", "samples": tiny_trained["job"]["samples"]}, {"name": "retention", "samples": "empty.jsonl"}],
        "threads": 1,
    }
    done, events = run_eval(job, tmp_path)
    r = done["results"]
    night = {name: r[name]["night"]["loss"] for name in r}
    # the base is untouched by the adapter entries before it: bit-identical losses
    assert night["base before"] == night["base after"] == night["base last"]
    # the same adapter applied twice is not stacked on itself
    assert night["candidate again"] == night["candidate"]
    assert night["candidate"] < 0.5 * night["base before"], "the adapter learned the samples it was trained on"
    # the merged export is the base + adapter (up to float rounding of the merge)
    assert night["merged"] == pytest.approx(night["candidate"], abs=1e-4)
    # an empty set (a first night has no retention set) is a null loss, not an error
    assert all(r[name]["retention"] == {"loss": None, "tokens": 0, "samples": 0} for name in r)
    evals = [e for e in events if e["event"] == "eval"]
    assert [(e["model"], e["set"]) for e in evals] == [(m["name"], s) for m in job["models"] for s in ("night", "retention")]
    assert done["runtime_s"] > 0


def test_loss_is_token_weighted_over_the_set(tiny_model, tmp_path):
    """Two sets and their union: the union's loss is the token-weighted mean of the two."""
    rows = varied_rows()
    write_samples(tmp_path / "a.jsonl", rows[:3])
    write_samples(tmp_path / "b.jsonl", rows[3:])
    write_samples(tmp_path / "ab.jsonl", rows)
    job = {"base_model": str(tiny_model), "models": [{"name": "base"}], "sets": [{"name": n, "samples": f"{n}.jsonl"} for n in ("a", "b", "ab")], "batch_tokens": 100, "threads": 1}
    done, _ = run_eval(job, tmp_path)
    a, b, ab = (done["results"]["base"][n] for n in ("a", "b", "ab"))
    assert ab["tokens"] == a["tokens"] + b["tokens"] and a["tokens"] != b["tokens"]
    assert ab["loss"] == pytest.approx((a["loss"] * a["tokens"] + b["loss"] * b["tokens"]) / ab["tokens"], abs=1e-5)


def test_batches_are_packed_by_padded_size():
    lengths = [10, 50, 12, 49, 11, 200]
    batches = plan_eval_batches(lengths, batch_tokens=100)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert batches[0] == [5]  # longer than batch_tokens: alone, and first
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 100
    assert [sorted(lengths[i] for i in b) for b in batches] == [[200], [49, 50], [10, 11, 12]]


def test_cli_events_and_exit_codes(tiny_model, tiny_trained, tmp_path):
    job = {
        "base_model": str(tiny_model),
        "models": [{"name": "production", "adapter": None}, {"name": "candidate", "adapter": str(tiny_trained["out"] / "adapter")}],
        "sets": [{"name": "night", "samples": tiny_trained["job"]["samples"]}],
        "threads": 1,
    }
    (tmp_path / "eval.json").write_text(json.dumps(job))
    code, events, stderr = run_cli(["evaluate", "--job", str(tmp_path / "eval.json")])
    assert code == 0, stderr
    assert [e["event"] for e in events] == ["start", "eval", "eval", "done"]
    results = events[-1]["results"]
    assert set(results) == {"production", "candidate"} and set(results["candidate"]["night"]) == {"loss", "tokens", "samples"}
    assert results["candidate"]["night"]["loss"] < results["production"]["night"]["loss"]

    # a bad line in a sample set: bad_input (exit 2) naming the set, the file and the line
    bad = write_samples(tmp_path / "bad.jsonl", [{"instruction": "x", "output": "y"}])
    bad.write_text(bad.read_text() + '{"instruction": "x"}\n')
    job["sets"] = [{"name": "retention", "samples": str(bad)}]
    (tmp_path / "eval.json").write_text(json.dumps(job))
    code, events, _ = run_cli(["evaluate", "--job", str(tmp_path / "eval.json")])
    assert code == 2 and events[-1]["event"] == "error" and events[-1]["kind"] == "bad_input"
    assert "sets[0] (retention)" in events[-1]["message"] and "line 2: output must be a non-empty string" in events[-1]["message"]
    assert [e["event"] for e in events] == ["error"]


def test_an_adapter_that_does_not_fit_the_base_is_bad_input(tiny_model, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    other = LlamaForCausalLM(LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))
    get_peft_model(other, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(str(tmp_path / "other adapter"))
    write_samples(tmp_path / "night.jsonl", convention_rows(2))
    job = {"base_model": str(tiny_model), "models": [{"name": "base"}, {"name": "candidate", "adapter": "other adapter"}], "sets": [{"name": "night", "samples": "night.jsonl"}], "threads": 1}
    with pytest.raises(TrainerError) as err:
        run_eval(job, tmp_path)
    assert err.value.kind == "bad_input" and err.value.exit_code == 2
    assert f"models[1] (candidate): adapter {tmp_path / 'other adapter'} does not fit the base model" in err.value.message


def test_a_whole_model_with_another_vocabulary_is_bad_input(tiny_model, tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    LlamaForCausalLM(LlamaConfig(vocab_size=40, hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4)).save_pretrained(tmp_path / "small vocab")
    write_samples(tmp_path / "night.jsonl", convention_rows(2))
    job = {"base_model": str(tiny_model), "models": [{"name": "merged", "model": "small vocab"}], "sets": [{"name": "night", "samples": "night.jsonl"}], "threads": 1}
    with pytest.raises(TrainerError, match=r"models\[0\] \(merged\): model .* has 40 token embeddings .* does not share the base's tokenizer"):
        run_eval(job, tmp_path)


# --- the job -----------------------------------------------------------------------------


def minimal_eval(tmp_path: Path) -> dict:
    (tmp_path / "base").mkdir(exist_ok=True)
    (tmp_path / "base" / "config.json").write_text("{}")
    (tmp_path / "adapter").mkdir(exist_ok=True)
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    (tmp_path / "night.jsonl").write_text('{"instruction":"a","output":"b"}\n')
    return {
        "base_model": "base",
        "models": [{"name": "production", "adapter": None}, {"name": "candidate", "adapter": "adapter"}, {"name": "merged", "model": "base"}],
        "sets": [{"name": "night", "samples": "night.jsonl"}],
    }


def test_eval_job_defaults_and_relative_paths(tmp_path):
    (tmp_path / "eval.json").write_text(json.dumps(minimal_eval(tmp_path)))
    job = load_eval_job(tmp_path / "eval.json")
    assert (job.max_length, job.device, job.threads, job.batch_tokens, job.seed) == (2048, "auto", None, 8192, 42)
    assert job.base_model == str(tmp_path / "base")
    assert [(m.name, m.kind) for m in job.models] == [("production", "base"), ("candidate", "adapter"), ("merged", "model")]
    assert job.models[1].adapter == str(tmp_path / "adapter") and job.models[2].model == str(tmp_path / "base")
    assert job.sets[0].samples == str(tmp_path / "night.jsonl")


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"models": []}, "models must be a non-empty list of objects"),
        ({"models": None}, "models is required"),
        ({"sets": "night.jsonl"}, 'sets must be a non-empty list of objects, got "night.jsonl"'),
        ({"models": [{"name": "x", "adapter": "adapter", "model": "base"}]}, "models[0] (x): give adapter (applied on the base) or model (a whole model), not both"),
        ({"models": [{"name": "x"}, {"name": "x", "adapter": None}]}, 'models[1].name "x" is used twice (models[0] has it too)'),
        ({"models": [{"adapter": None}]}, "models[0].name is required"),
        ({"models": [{"name": "x", "path": "p"}]}, "models[0]: unknown field(s) path"),
        ({"models": [{"name": "x", "adapter": 3}]}, "models[0].adapter must be a string or null, got 3"),
        ({"models": ["production"]}, 'models[0] must be an object, got "production"'),
        ({"sets": [{"name": "night"}]}, "sets[0].samples is required"),
        ({"batch_tokens": 0}, "batch_tokens must be >= 16"),
        ({"batch_tokens": 1.5}, "batch_tokens must be int, got 1.5"),
        ({"device": "tpu"}, 'device must be "auto" | "cpu" | "cuda", got "tpu"'),
        ({"threads": 0}, "threads must be >= 1"),
        ({"max_length": 8}, "max_length must be >= 16"),
        ({"base_model": ""}, "base_model must be a non-empty string"),
        ({"output_dir": "x"}, "unknown field(s) output_dir"),
    ],
)
def test_bad_eval_fields_are_named(tmp_path, change, expected):
    data = minimal_eval(tmp_path) | change
    with pytest.raises(TrainerError) as err:
        parse_eval_job(data, base_dir=tmp_path)
    assert err.value.kind == "bad_input" and err.value.exit_code == 2
    assert expected in err.value.message


def test_every_eval_problem_is_reported_at_once(tmp_path):
    data = minimal_eval(tmp_path)
    data["models"][1]["adapter"] = "no such adapter"
    data["models"][2]["model"] = "no such model"
    data["sets"].append({"name": "retention", "samples": "missing.jsonl"})
    data["base_model"] = "missing.gguf"
    with pytest.raises(TrainerError) as err:
        parse_eval_job(data, base_dir=tmp_path)
    msg = err.value.message
    assert f"base_model {tmp_path / 'missing.gguf'} does not exist" in msg
    assert f"models[1] (candidate): adapter {tmp_path / 'no such adapter'} is not a PEFT adapter folder (no adapter_config.json)" in msg
    assert "models[2] (merged): model" in msg and "neither a .gguf file nor a model folder" in msg
    assert f"sets[1] (retention): samples file {tmp_path / 'missing.jsonl'} does not exist" in msg


def test_unreadable_eval_job_files(tmp_path):
    with pytest.raises(TrainerError, match="evaluation job file .* does not exist"):
        load_eval_job(tmp_path / "eval.json")
    (tmp_path / "eval.json").write_text("{not json")
    with pytest.raises(TrainerError, match=r"not valid JSON \(line 1"):
        load_eval_job(tmp_path / "eval.json")
    (tmp_path / "eval.json").write_text("[]")
    with pytest.raises(TrainerError, match="must be a JSON object"):
        load_eval_job(tmp_path / "eval.json")


def test_every_eval_field_is_documented():
    source = Path(__file__).resolve().parents[1].joinpath("web4_trainer", "job.py").read_text()
    for name in EvalJob.__dataclass_fields__:
        assert f"    {name}:" in source


def test_a_model_can_be_scored_on_some_sets_only(tmp_path, tiny_model):
    """The nightly check needs the base on the next day's documents only: fewer passes, same figures."""
    import json

    from web4_trainer.events import EventStream, TrainerError
    from web4_trainer.evaluate import evaluate
    from web4_trainer.job import parse_eval_job

    rows = [{"instruction": f"Write note {i}.", "output": f"note number {i} is short"} for i in range(3)]
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    job = parse_eval_job(
        {"base_model": str(tiny_model), "models": [{"name": "all"}, {"name": "only-b", "sets": ["b"]}], "sets": [{"name": "a", "samples": "a.jsonl"}, {"name": "b", "samples": "b.jsonl"}], "threads": 1},
        base_dir=tmp_path,
    )
    out = tmp_path / "events.jsonl"
    with open(out, "w", encoding="utf-8") as fh:
        done = evaluate(job, EventStream(fh))
    assert set(done["results"]["all"]) == {"a", "b"}
    assert set(done["results"]["only-b"]) == {"b"}
    assert abs(done["results"]["only-b"]["b"]["loss"] - done["results"]["all"]["b"]["loss"]) < 1e-9
    evals = [json.loads(line) for line in out.read_text().splitlines() if '"eval"' in line]
    assert [(e["model"], e["set"]) for e in evals] == [("all", "a"), ("all", "b"), ("only-b", "b")]
    for bad, message in (([], "non-empty list"), (["c"], "unknown set(s) c"), ("b", "non-empty list")):
        try:
            parse_eval_job({"base_model": str(tiny_model), "models": [{"name": "m", "sets": bad}], "sets": [{"name": "b", "samples": "b.jsonl"}]}, base_dir=tmp_path)
        except TrainerError as e:
            assert message in e.message, e.message
        else:
            raise AssertionError(f"sets={bad!r} was accepted")
