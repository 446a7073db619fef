"""Command line: ``python -m web4_trainer train --job job.json`` (and ``bench-gpu``).

stdout carries only protocol events (see ``events.py``); anything else that would print there
(libraries, C extensions) is sent to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from .events import EXIT_CODES, EventStream, TrainerError


def _protocol_stdout() -> EventStream:
    # Keep a private handle on the real stdout for events, then point fd 1 at stderr so a
    # stray print in any library cannot corrupt the JSON-lines stream.
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return EventStream(os.fdopen(fd, "w", buffering=1, encoding="utf-8"))


def _cmd_train(args: argparse.Namespace) -> int:
    events = _protocol_stdout()
    from .train import StopFlag

    stop = StopFlag()
    stop.install()
    try:
        from .job import load_job
        from .train import train

        job = load_job(args.job)
        train(job, events, stop)
        return 0
    except TrainerError as e:
        events.error(e)
        print(f"[web4_trainer] {e.kind}: {e.message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        e = TrainerError("interrupted", "training interrupted; no output was written")
        events.error(e)
        return e.exit_code
    except Exception as exc:  # noqa: BLE001 - the protocol must always end with an event
        traceback.print_exc()
        e = TrainerError("internal", f"{type(exc).__name__}: {exc}", "a bug in the trainer: the traceback is on stderr (the trainer log)")
        events.error(e)
        return e.exit_code


def _cmd_bench_gpu(args: argparse.Namespace) -> int:
    from .gpu_bench import main as bench_main

    return bench_main(args)


def _cmd_make_tiny_model(args: argparse.Namespace) -> int:
    from .tiny_model import build_tiny_model

    print(build_tiny_model(args.folder))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m web4_trainer",
        description="LoRA training for the web4 agent. Events: JSON lines on stdout; logs on stderr.",
        epilog="exit codes: " + ", ".join(f"{v} {k}" for k, v in EXIT_CODES.items()),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_train = sub.add_parser("train", help="train a LoRA from a job file")
    p_train.add_argument("--job", required=True, help="path of job.json (see web4_trainer/job.py for the fields)")
    p_train.set_defaults(func=_cmd_train)
    p_bench = sub.add_parser("bench-gpu", help="throughput on a Qwen2.5-Coder-7B-shaped model (random weights, bf16, CUDA)")
    p_bench.add_argument("--samples", type=int, default=200)
    p_bench.add_argument("--tokens", type=int, default=1000, help="tokens per sample")
    p_bench.add_argument("--batch-size", type=int, default=4)
    p_bench.add_argument("--rank", type=int, default=16)
    p_bench.add_argument("--config", default=None, help="model config.json (default: the bundled Qwen2.5-Coder-7B config)")
    p_bench.add_argument("--layers", type=int, default=None, help="override num_hidden_layers (smoke runs on small GPUs)")
    p_bench.add_argument("--peak-tflops", type=float, default=989.0, help="dense bf16 peak of the GPU (H100 SXM: 989)")
    p_bench.add_argument("--device", default="cuda")
    p_bench.add_argument("--gradient-checkpointing", action="store_true")
    p_bench.set_defaults(func=_cmd_bench_gpu)
    p_tiny = sub.add_parser("make-tiny-model", help="write a tiny random llama + tokenizer (tests, smoke runs)")
    p_tiny.add_argument("folder")
    p_tiny.set_defaults(func=_cmd_make_tiny_model)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
