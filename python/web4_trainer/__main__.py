"""Command line: ``python -m web4_trainer train --job job.json``, ``evaluate --job eval.json``,
``export --adapter DIR --base BASE --out DIR`` (and ``bench-gpu``, ``make-tiny-model``).

stdout carries only protocol events (see ``events.py``); anything else that would print there
(libraries, C extensions) is sent to stderr. ``train``, ``evaluate`` and ``export`` stop
cleanly on SIGTERM/SIGINT and when their parent process dies (``lifecycle.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Any, Callable

from .events import EXIT_CODES, EventStream, TrainerError


def _protocol_stdout() -> EventStream:
    # Keep a private handle on the real stdout for events, then point fd 1 at stderr so a
    # stray print in any library cannot corrupt the JSON-lines stream.
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return EventStream(os.fdopen(fd, "w", buffering=1, encoding="utf-8"))


def _run(activity: str, consequence: str, work: Callable[[EventStream, Any], object]) -> int:
    """The frame every command shares: the event stream, the stop flag (signals + parent
    watch), and one error event with its exit code for whatever goes wrong."""
    events = _protocol_stdout()
    from .lifecycle import StopFlag, log

    stop = StopFlag(activity, consequence)
    fd = events.fileno()
    stop.install(watch_parent=True, output_fds=[f for f in (fd, 1, 2) if f is not None])
    try:
        work(events, stop)
        return 0
    except TrainerError as e:
        events.error(e)
        log(f"{e.kind}: {e.message}")
        return e.exit_code
    except KeyboardInterrupt:
        e = TrainerError("interrupted", f"{activity} interrupted; {consequence}")
        events.error(e)
        return e.exit_code
    except Exception as exc:  # noqa: BLE001 - the protocol must always end with an event
        try:
            traceback.print_exc()
        except OSError:
            pass
        e = TrainerError("internal", f"{type(exc).__name__}: {exc}", f"a bug in the trainer ({activity}): the traceback is on stderr (the trainer log)")
        events.error(e)
        return e.exit_code


def _cmd_train(args: argparse.Namespace) -> int:
    def work(events: EventStream, stop: Any) -> None:
        from .job import load_job
        from .train import train

        train(load_job(args.job), events, stop)

    return _run("training", "no output was written", work)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    def work(events: EventStream, stop: Any) -> None:
        from .evaluate import evaluate
        from .job import load_eval_job

        evaluate(load_eval_job(args.job), events, stop)

    return _run("evaluation", "nothing was measured", work)


def _cmd_export(args: argparse.Namespace) -> int:
    def work(events: EventStream, stop: Any) -> None:
        from .export import export, parse_export

        job = parse_export(args.adapter, args.base, args.out, args.serve_format, args.gguf_dtype, args.device)
        export(job, events, stop)

    return _run("export", "no output was written", work)


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
    p_train.add_argument("--job", required=True, help="path of job.json (see web4_trainer/job.py, TrainJob, for the fields)")
    p_train.set_defaults(func=_cmd_train)
    p_eval = sub.add_parser("evaluate", help="loss of models (base, base + adapter, merged) on sample sets, no training")
    p_eval.add_argument("--job", required=True, help="path of eval.json (see web4_trainer/job.py, EvalJob, for the fields)")
    p_eval.set_defaults(func=_cmd_evaluate)
    p_export = sub.add_parser("export", help="merge an adapter into its base and write the servable model (as training writes model/)")
    # Checked by export.parse_export rather than argparse, so that a missing or bad option is an
    # error event (bad_input, exit 2) like every other refusal, all problems at once.
    p_export.add_argument("--adapter", default="", help="PEFT adapter folder (required)")
    p_export.add_argument("--base", default="", help="the base model: a .gguf file or a Hugging Face folder (required)")
    p_export.add_argument("--out", default="", help="new folder for the model; must not exist or be empty (required)")
    p_export.add_argument("--serve-format", default="auto", help="auto (gguf for a .gguf base, else safetensors) | gguf | safetensors")
    p_export.add_argument("--gguf-dtype", default="f16", help="f16 | f32: weight type of the merged GGUF")
    p_export.add_argument("--device", default="auto", help="auto (CUDA with bf16 when present, else CPU with fp32) | cpu | cuda")
    p_export.set_defaults(func=_cmd_export)
    p_bench = sub.add_parser("bench-gpu", help="the trainer on one GPU: throughput vs the plan's recipe, variants, evaluate, correctness (Qwen2.5-Coder-7B shape, random weights); --device cpu --config tiny for CI")
    from .gpu_bench import add_arguments as add_bench_arguments

    add_bench_arguments(p_bench)
    p_bench.set_defaults(func=_cmd_bench_gpu)
    p_tiny = sub.add_parser("make-tiny-model", help="write a tiny random llama + tokenizer (tests, smoke runs)")
    p_tiny.add_argument("folder")
    p_tiny.set_defaults(func=_cmd_make_tiny_model)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
