"""Reference embeddings from Python sentence-transformers, for the Node embedder's tests and bench.

usage: python reference_embed.py MODEL_DIR embed   < texts.json   -> JSON list of vectors
       python reference_embed.py MODEL_DIR bench N  < texts.json  -> {"texts_per_s": x, ...}

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
    texts = json.load(sys.stdin)
    model = SentenceTransformer(model_dir, device="cpu", local_files_only=True)
    if mode == "embed":
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        json.dump(vectors.tolist(), sys.stdout)
        return 0
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    model.encode(texts[:32], batch_size=32)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.encode(texts, batch_size=32, normalize_embeddings=True)
        times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2]
    json.dump({"texts_per_s": len(texts) / median, "seconds": times, "threads": __import__("torch").get_num_threads()}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
