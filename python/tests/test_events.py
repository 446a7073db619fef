import io
import json

import pytest

from web4_trainer.events import EXIT_CODES, EventStream, TrainerError


def test_each_event_is_one_json_line():
    buf = io.StringIO()
    ev = EventStream(buf)
    ev.start(samples=3, steps=1)
    ev.progress(step=1, total=1, loss=float("nan"), tokens_per_s=12.345, eta_s=0)
    ev.done(loss=0.5, adapter_dir="/a b/c")
    ev.error(TrainerError("oom", "out of memory: 2 GiB"))
    lines = buf.getvalue().splitlines()
    assert len(lines) == 4
    events = [json.loads(line) for line in lines]  # NaN must not break the JSON
    assert [e["event"] for e in events] == ["start", "progress", "done", "error"]
    assert events[1]["loss"] is None and events[1]["tokens_per_s"] == 12.3
    assert events[3] == {"event": "error", "kind": "oom", "message": "out of memory: 2 GiB", "hint": events[3]["hint"], "exit_code": 5}
    assert "batch_size" in events[3]["hint"]


def test_exit_codes_are_distinct_per_kind():
    codes = [EXIT_CODES[k] for k in ("internal", "bad_input", "io", "oom", "interrupted")]
    assert len(set(codes)) == len(codes) and 0 not in codes


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        TrainerError("weird", "x")
