"""The stdout protocol between the trainer and trainer-bridge.

One JSON object per line on stdout, nothing else there (logs go to stderr):

    {"event": "start", "samples": n, "steps": m, "device": "cpu", "dtype": "float32", ...}
    {"event": "progress", "step": n, "total": m, "loss": x, "tokens_per_s": y, "eta_s": z, ...}
    {"event": "done", "adapter_dir": ..., "model_dir": ..., "loss": x, "runtime_s": t, ...}
    {"event": "error", "kind": "oom|bad_input|interrupted|io|internal", "message": ..., "hint": ...}

``evaluate`` and ``export`` use the same stream with their own ``start``/``done`` fields (and
``evaluate`` one ``eval`` event per model and sample set); see ``evaluate.py`` and ``export.py``.

Each error kind ends the process with its own exit code (``EXIT_CODES``), so a caller that
only sees the exit status still knows what happened.
"""

from __future__ import annotations

import errno
import json
import math
import sys
import time
from typing import Any, TextIO

EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "internal": 1,
    "bad_input": 2,
    "io": 3,
    "oom": 5,
    "interrupted": 130,
}

HINTS: dict[str, str] = {
    "oom": "lower batch_size (raise grad_accumulation to keep the effective batch), lower max_length, "
    "or cap the sample size (trainer.sampleCapChars); see docs/runbooks/evening_loop_troubleshooting.md",
    "bad_input": "fix the job or samples file named in the message and run again",
    "interrupted": "the run was stopped; nothing was written to the output folder, run it again",
    "io": "check that the output folder's disk has space and is writable",
}


class TrainerError(Exception):
    """A failure with a protocol kind; ``__main__`` turns it into an error event + exit code."""

    def __init__(self, kind: str, message: str, hint: str | None = None):
        if kind not in EXIT_CODES or kind == "ok":
            raise ValueError(f"unknown error kind {kind}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint if hint is not None else HINTS.get(kind)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind]


def bad_input(message: str, hint: str | None = None) -> TrainerError:
    return TrainerError("bad_input", message, hint)


def _clean(value: Any) -> Any:
    # JSON has no NaN/Infinity; a diverged loss must still produce a parseable line.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class EventStream:
    """Writes protocol events; every line is flushed so the bridge sees progress live."""

    def __init__(self, out: TextIO | None = None):
        self._out = out if out is not None else sys.stdout
        self._t0 = time.monotonic()
        self.closed = False
        """True once the reader went away (EPIPE): later events are dropped, not raised."""

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, **_clean(fields)}
        if self.closed:
            return record
        try:
            self._out.write(json.dumps(record, separators=(",", ":")) + "\n")
            self._out.flush()
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            # The reader (the parent) is gone; the parent watch stops the work. Raising here
            # would turn a clean stop into a crash in the middle of a step.
            self.closed = True
        return record

    def fileno(self) -> int | None:
        try:
            return self._out.fileno()
        except (AttributeError, OSError, ValueError):
            return None

    def start(self, **fields: Any) -> dict[str, Any]:
        return self.emit("start", **fields)

    def progress(self, step: int, total: int, loss: float, tokens_per_s: float, eta_s: float, **fields: Any) -> dict[str, Any]:
        return self.emit(
            "progress",
            step=step,
            total=total,
            loss=round(loss, 5),
            tokens_per_s=round(tokens_per_s, 1),
            eta_s=round(eta_s, 1),
            **fields,
        )

    def done(self, **fields: Any) -> dict[str, Any]:
        return self.emit("done", **fields)

    def error(self, err: TrainerError) -> dict[str, Any]:
        return self.emit("error", kind=err.kind, message=err.message, hint=err.hint, exit_code=err.exit_code)

    def elapsed(self) -> float:
        return time.monotonic() - self._t0
