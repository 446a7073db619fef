"""Reference embeddings from Python sentence-transformers, for the Node embedder's tests and bench.

usage: python reference_embed.py MODEL_DIR embed   < texts.json   -> JSON list of vectors
       python reference_embed.py MODEL_DIR serve TEXTS_JSON_FILE
           then one line per run on stdin; answers each with {"seconds": s, "threads": n}
           (the benchmark interleaves these runs with the Node runs, so both see the same load)

Loads the same local folder as the Node side (no hub access), on CPU.
"""

import json
import os
import sys
import time

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from sentence_transformers import SentenceTransformer  # noqa: E402


def main() -> int:
    model_dir, mode = sys.argv[1], sys.argv[2]
    model = SentenceTransformer(model_dir, device="cpu", local_files_only=True)
    if mode == "embed":
        texts = json.load(sys.stdin)
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        json.dump(vectors.tolist(), sys.stdout)
        return 0
    with open(sys.argv[3]) as f:
        bench_texts = json.load(f)
    model.encode(bench_texts[:32], batch_size=32)  # warm-up
    print(json.dumps({"ready": True}), flush=True)
    for _ in sys.stdin:
        t0 = time.perf_counter()
        model.encode(bench_texts, batch_size=32, normalize_embeddings=True)
        print(json.dumps({"seconds": time.perf_counter() - t0, "threads": __import__("torch").get_num_threads()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
