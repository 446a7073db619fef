"""A trainer must not outlive its parent: ``kill -9`` of the orchestrator stops it, and it
removes its partial output on the way out (``lifecycle.py``)."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import PYTHON_DIR, tiny_job

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_CHILD_SUBREAPER and PR_SET_PDEATHSIG are Linux")

# The orchestrator stand-in: starts the command with pipes for stdout and stderr (as the
# bridge does), reads stdout until the first progress event, then SIGKILLs itself.
PARENT = textwrap.dedent(
    """
    import json, os, signal, subprocess, sys, threading
    cmd, env = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    child = subprocess.Popen(cmd, cwd=sys.argv[3], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    threading.Thread(target=lambda: [None for _ in child.stderr], daemon=True).start()
    print(json.dumps({"child": child.pid}), flush=True)
    for line in child.stdout:
        print(line.strip(), flush=True)
        if line.startswith("{") and json.loads(line).get("event") in (sys.argv[4], "done", "error"):
            break
    os.kill(os.getpid(), signal.SIGKILL)
    """
)

# Runs PARENT as a subreaper: the orphaned child is re-parented to this process (not to a
# PID 1 that may never reap it), so its exit status and the time it took can be read here.
REAPER = textwrap.dedent(
    """
    import ctypes, json, os, subprocess, sys, time
    assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    parent_code, cmd, env, cwd, wait_for, limit = sys.argv[1:7]
    parent = subprocess.Popen([sys.executable, "-c", parent_code, cmd, env, cwd, wait_for], stdout=subprocess.PIPE, text=True)
    child, seen = None, []
    for line in parent.stdout:
        obj = json.loads(line)
        if "child" in obj:
            child = obj["child"]
        else:
            seen.append(obj)
    parent.wait()
    killed_at = time.monotonic()
    status = None
    while time.monotonic() - killed_at < float(limit):
        pid, st = os.waitpid(child, os.WNOHANG)
        if pid == child:
            status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.05)
    if status is None:  # still running: report it, and do not leave it behind
        os.kill(child, 9)
        os.waitpid(child, 0)
    print(json.dumps({"parent_rc": parent.returncode, "events": seen, "status": status, "after_s": time.monotonic() - killed_at}))
    """
)


def kill_parent_and_watch(cmd: list[str], wait_for: str, limit_s: float, timeout: float = 240) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PYTHON_DIR)}
    proc = subprocess.run(
        [sys.executable, "-c", REAPER, PARENT, json.dumps(cmd), json.dumps(env), str(PYTHON_DIR), wait_for, str(limit_s)],
        capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_trainer_stops_and_cleans_up_when_its_parent_is_killed(tiny_model, tmp_path):
    job = tiny_job(tiny_model, tmp_path, epochs=2000)  # minutes of training if nothing stops it
    (tmp_path / "job.json").write_text(json.dumps(job))
    report = kill_parent_and_watch([sys.executable, "-m", "web4_trainer", "train", "--job", str(tmp_path / "job.json")], "progress", limit_s=25)
    assert report["parent_rc"] == -9
    assert [e["event"] for e in report["events"]] == ["start", "progress"], "the parent was killed while training ran"
    assert report["status"] is not None, "the trainer was still running 25 s after its parent died"
    assert report["status"] == 130 and report["after_s"] < 20
    assert not Path(job["output_dir"]).exists()
    assert not [p.name for p in tmp_path.iterdir() if ".partial" in p.name]


# A piece of work that never checks its stop flag (a model load, a long write): only the hard
# exit ends it. It registers a partial folder that the hard exit must remove.
STUCK = textwrap.dedent(
    """
    import json, os, sys, time
    from web4_trainer.lifecycle import StopFlag, parent_death_signal
    partial, pdeathsig = sys.argv[1], sys.argv[2] == "1"
    os.makedirs(partial)
    stop = StopFlag("stuck work")
    stop.add_cleanup(partial)
    stop.install(watch_parent=True, grace_s=1.0, poll_s=0.2, pdeathsig=pdeathsig)
    print(json.dumps({"event": "ready", "pdeathsig": parent_death_signal()}), flush=True)
    while True:
        time.sleep(0.05)
    """
)


@pytest.mark.parametrize("pdeathsig", [True, False], ids=["pdeathsig+poll", "poll only"])
def test_work_that_ignores_the_flag_is_ended_after_the_grace_period(tmp_path, pdeathsig):
    partial = tmp_path / ".out.partial-1"
    report = kill_parent_and_watch([sys.executable, "-c", STUCK, str(partial), "1" if pdeathsig else "0"], "ready", limit_s=15, timeout=60)
    assert report["events"][0]["pdeathsig"] == (15 if pdeathsig else 0)
    assert report["status"] == 130, report
    # 1 s grace (+ up to one 0.2 s poll): well before the 15 s the limit allows
    assert 0.9 < report["after_s"] < 6
    assert not partial.exists()


def test_evaluation_stops_when_its_parent_is_killed(tiny_model, tmp_path):
    from conftest import convention_rows, write_samples

    rows = convention_rows(8) * 1500  # 12000 one-row batches: about 15 s of scoring on 2 cores
    write_samples(tmp_path / "night.jsonl", rows)
    job = {"base_model": str(tiny_model), "models": [{"name": "base"}], "sets": [{"name": "night", "samples": "night.jsonl"}], "batch_tokens": 16, "threads": 1}
    (tmp_path / "eval.json").write_text(json.dumps(job))
    report = kill_parent_and_watch([sys.executable, "-m", "web4_trainer", "evaluate", "--job", str(tmp_path / "eval.json")], "start", limit_s=25)
    assert [e["event"] for e in report["events"]] == ["start"], "the parent was killed while the evaluation ran"
    assert report["status"] == 130 and report["after_s"] < 20
