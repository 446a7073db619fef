"""Export all-MiniLM-L6-v2 (safetensors, sentence-transformers layout) to ONNX for transformers.js.

usage: python export_minilm_onnx.py MODEL_DIR OUT_ONNX

Prints one JSON line: {"optimized": true|false, ...}. With onnxruntime installed, the graph is
then fused by onnxruntime's BERT optimizer (Attention, SkipLayerNormalization, BiasGelu,
EmbedLayerNormalization: about 1.2x faster on CPU, outputs equal to 1e-5); without it, the
plain export is kept.

The graph takes input_ids, attention_mask, token_type_ids (int64, dynamic batch and sequence)
and returns last_hidden_state, which is what transformers.js' feature-extraction pipeline
expects; mean pooling and normalisation happen in JavaScript, as for the hub's Xenova export.
Runs offline: the model is read from MODEL_DIR only.
"""

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import json  # noqa: E402

import torch  # noqa: E402
from transformers import AutoModel  # noqa: E402


class LastHiddenState(torch.nn.Module):
    # transformers 5 reordered BertModel.forward's positional parameters, so call it by name.
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state


def main() -> int:
    src, out = sys.argv[1], sys.argv[2]
    # eager attention: the SDPA path folds mask handling into traced Python conditions.
    model = AutoModel.from_pretrained(src, attn_implementation="eager", local_files_only=True)
    model.eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long), torch.zeros(2, 8, dtype=torch.long))
    axes = {name: {0: "batch_size", 1: "sequence_length"} for name in names + ["last_hidden_state"]}
    raw = out + ".raw.onnx"
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(model), example, raw, input_names=names, output_names=["last_hidden_state"],
            dynamic_axes=axes, opset_version=14, dynamo=False,
        )
    try:
        from onnxruntime.transformers.optimizer import optimize_model
    except ImportError as error:
        os.replace(raw, out)
        print(json.dumps({"optimized": False, "reason": f"onnxruntime not installed: {error}"}), flush=True)
        return 0
    config = model.config
    optimized = optimize_model(
        raw, model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size,
        opt_level=1, use_gpu=False,
    )
    fused = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
    optimized.save_model_to_file(out)
    os.remove(raw)
    print(json.dumps({"optimized": True, "fused": fused}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
