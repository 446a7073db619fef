"""``python -m web4_trainer export``: a servable model from an adapter (restoring a backup that
keeps only ``adapter/`` + manifest), written exactly as training writes ``model/``."""

import io
import json
import os
from pathlib import Path

import pytest

from web4_trainer.events import EventStream, TrainerError
from web4_trainer.export import export, parse_export

from conftest import run_cli


def test_export_equals_training_model_and_base_plus_adapter(tiny_model, tiny_trained, tmp_path):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    trained = tiny_trained["out"]
    out = tmp_path / "restored model $(x)"
    out.mkdir()  # an empty folder is fine
    code, events, stderr = run_cli(["export", "--adapter", str(trained / "adapter"), "--base", str(tiny_model), "--out", str(out)])
    assert code == 0, stderr
    assert [e["event"] for e in events] == ["start", "done"]
    start, done = events
    assert start["serve_format"] == "safetensors" and start["device"] == "cpu"
    assert done["model_dir"] == str(out) and done["model_format"] == "safetensors"
    assert done["bytes"] == sum(f.stat().st_size for f in out.iterdir()) > 0
    assert (out / "config.json").is_file() and (out / "tokenizer.json").is_file()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]

    # the same files as the training run's model/ folder: one code path writes both
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (trained / "model").iterdir())
    assert json.loads((out / "config.json").read_text()) == json.loads((trained / "model" / "config.json").read_text())
    mine, theirs = load_file(str(out / "model.safetensors")), load_file(str(trained / "model" / "model.safetensors"))
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)

    ids = torch.tensor([[1, 5, 9, 30, 2, 7, 11, 3]])
    with torch.no_grad():
        exported = AutoModelForCausalLM.from_pretrained(out)(ids).logits
        base = AutoModelForCausalLM.from_pretrained(tiny_model)
        plain = base(ids).logits
        adapted = PeftModel.from_pretrained(base, trained / "adapter")(ids).logits
    assert torch.allclose(exported, adapted, atol=1e-4)  # merging in fp32 rounds differently
    assert not torch.allclose(exported, plain, atol=1e-3)  # the adapter is in there


def test_bad_export_arguments_are_all_named(tiny_model, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "model.safetensors").write_text("x")
    with pytest.raises(TrainerError) as err:
        parse_export(str(tmp_path / "nothing"), str(tmp_path / "no base"), str(tmp_path / "taken"))
    msg = err.value.message
    assert err.value.kind == "bad_input"
    assert f"--adapter {tmp_path / 'nothing'} is not a PEFT adapter folder (no adapter_config.json)" in msg
    assert f"--base {tmp_path / 'no base'} is neither a .gguf file nor a model folder" in msg
    assert f"--out {tmp_path / 'taken'} already exists and is not empty" in msg
    with pytest.raises(TrainerError) as err:
        parse_export("a", str(tiny_model), str(tmp_path / "x" / "y"), serve_format="gguf", gguf_dtype="q4", device="tpu")
    msg = err.value.message
    assert "--gguf-dtype must be one of f16, f32, got 'q4'" in msg and "--device must be one of auto, cpu, cuda, got 'tpu'" in msg
    with pytest.raises(TrainerError) as err:
        parse_export("a", str(tiny_model), str(tmp_path / "x" / "y"), serve_format="gguf")
    assert "--serve-format gguf needs a .gguf --base" in err.value.message
    assert "the folder that should hold it" in err.value.message


def test_cli_refusal_is_an_error_event_with_exit_code_2(tmp_path):
    code, events, _ = run_cli(["export", "--base", str(tmp_path), "--serve-format", "onnx"])
    assert code == 2
    assert [e["event"] for e in events] == ["error"] and events[0]["kind"] == "bad_input" and events[0]["exit_code"] == 2
    assert "--adapter is required" in events[0]["message"] and "--out is required" in events[0]["message"]
    assert "--serve-format must be one of auto, gguf, safetensors, got 'onnx'" in events[0]["message"]


def test_an_adapter_for_another_base_is_bad_input_and_writes_nothing(tiny_model, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    other = LlamaForCausalLM(LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2))
    get_peft_model(other, LoraConfig(r=4, target_modules=["q_proj", "v_proj"])).save_pretrained(str(tmp_path / "other"))
    job = parse_export(str(tmp_path / "other"), str(tiny_model), str(tmp_path / "out"), device="cpu")
    with pytest.raises(TrainerError) as err:
        export(job, EventStream(io.StringIO()))
    assert err.value.kind == "bad_input" and f"--adapter {tmp_path / 'other'} does not fit the base model" in err.value.message
    assert sorted(os.listdir(tmp_path)) == ["other"]


@pytest.mark.slow
def test_gguf_export_of_smollm2_round_trips(smollm2_gguf, tmp_path):
    """A GGUF base: the export is model.gguf with the base's metadata; read back with
    transformers it equals base + adapter (up to the f16 storage of the weights)."""
    import gguf
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.split(smollm2_gguf)
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    ids = tok("Write the commit message for this change: add a health check.", return_tensors="pt")["input_ids"]
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    # a LoRA with random A and B (no training needed): its merge visibly moves the logits
    peft = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)).eval()
    with torch.no_grad():
        adapted = peft(ids).logits
        with peft.disable_adapter():
            plain = peft(ids).logits
    peft.save_pretrained(str(tmp_path / "adapter"))
    del peft, base

    code, events, stderr = run_cli(["export", "--adapter", str(tmp_path / "adapter"), "--base", smollm2_gguf, "--out", str(tmp_path / "model")])
    assert code == 0, stderr[-2000:]
    done = events[-1]
    assert done["model_format"] == "gguf" and done["model_dir"] == str(tmp_path / "model")
    merged_path = tmp_path / "model" / "model.gguf"
    assert done["bytes"] == merged_path.stat().st_size
    base_reader, merged_reader = gguf.GGUFReader(smollm2_gguf), gguf.GGUFReader(str(merged_path))
    assert [t.name for t in merged_reader.tensors] == [t.name for t in base_reader.tensors]
    assert merged_reader.fields["tokenizer.chat_template"].contents() == base_reader.fields["tokenizer.chat_template"].contents()

    with torch.no_grad():
        from_gguf = AutoModelForCausalLM.from_pretrained(tmp_path / "model", gguf_file="model.gguf")(ids).logits
    assert (from_gguf - adapted).abs().max().item() < 0.2
    assert (plain - adapted).abs().max().item() > 1.0  # the adapter moved the model: the check has teeth
