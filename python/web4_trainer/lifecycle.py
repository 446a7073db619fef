"""Stopping cleanly: on SIGTERM/SIGINT, and when the parent process dies.

A trainer must not outlive the process that started it: a nightly loop killed with ``kill -9``
would otherwise leave a trainer holding 8 GB training on for hours, unseen. So every command
(``train``, ``evaluate``, ``export``) installs a ``StopFlag``:

- SIGTERM and SIGINT set the flag; the work checks it between micro-batches (and between
  writes) and ends with an ``interrupted`` error, removing its partial output folder. A second
  signal stops at once.
- On Linux ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` asks the kernel to send that SIGTERM when the
  parent dies; a daemon thread also polls ``os.getppid()`` once a second (re-parented to init
  or to a subreaper: the parent is gone, on any OS). Either way the flag is set as on SIGTERM,
  outputs that went to the dead parent's pipes are pointed at /dev/null, and if the process has
  not ended ``grace_s`` (15 s) later, the registered partial folders are removed and it exits
  with ``os._exit(130)``.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .events import EXIT_CODES, TrainerError

PR_SET_PDEATHSIG = 1
PR_GET_PDEATHSIG = 2


def log(msg: str) -> None:
    """A line on stderr. Never raises: stderr may be a pipe whose reader is gone."""
    try:
        print(f"[web4_trainer] {msg}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def set_parent_death_signal(signum: int = signal.SIGTERM) -> bool:
    """Linux: have the kernel send ``signum`` to this process when its parent dies.
    Returns False where that is not available (other systems; the poll still works there)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def parent_death_signal() -> int | None:
    """The signal set by ``set_parent_death_signal`` (0: none); None where prctl is unavailable."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        value = ctypes.c_int(0)
        if libc.prctl(PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0) != 0:
            return None
        return value.value
    except (OSError, AttributeError):
        return None


def _silence_dead_pipes(fds: list[int]) -> None:
    """Point each fd that is a pipe without a reader at /dev/null, so that logging or a last
    event does not fail with EPIPE once the parent (the reader) is gone. A file or a live pipe
    (someone else still reads it) is left as it is."""
    devnull = None
    for fd in fds:
        try:
            poller = select.poll()
            poller.register(fd, select.POLLOUT)
            dead = any(ev & select.POLLERR for _, ev in poller.poll(0))
        except (OSError, ValueError):
            continue
        if not dead:
            continue
        try:
            if devnull is None:
                devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
        except OSError:
            pass
    if devnull is not None:
        os.close(devnull)


class StopFlag:
    """Set by SIGTERM/SIGINT or by the death of the parent process; the work checks it between
    micro-batches and between writes (``check``). A second signal stops at once (the partial
    folder is still removed by the ``finally`` of the work)."""

    def __init__(self, activity: str = "training", consequence: str = "no output was written") -> None:
        self.activity = activity
        self.consequence = consequence
        self.signal: int | None = None
        self.reason: str | None = None
        self.parent_pid: int | None = None
        self.parent_gone = False
        self._cleanup: list[Path] = []
        self._fds: list[int] = []
        self._lock = threading.Lock()

    # --- setting the flag ---------------------------------------------------------------
    def request(self, reason: str, signum: int | None = None) -> bool:
        """Ask the work to stop; True for the first request, False when one was already made."""
        with self._lock:
            if self.reason is not None:
                return False
            self.reason = reason
            self.signal = signum
        log(f"{reason}: stopping after the current step")
        return True

    @property
    def requested(self) -> bool:
        return self.reason is not None

    def check(self) -> None:
        if self.reason is not None:
            raise TrainerError("interrupted", f"{self.activity} interrupted ({self.reason}); {self.consequence}")

    # --- partial outputs ----------------------------------------------------------------
    def add_cleanup(self, path: str | os.PathLike[str]) -> None:
        """A partial folder to remove if the process has to be ended hard (``os._exit``)."""
        self._cleanup.append(Path(path))

    def cleanup(self) -> None:
        for p in self._cleanup:
            shutil.rmtree(p, ignore_errors=True)

    # --- installing ---------------------------------------------------------------------
    def install(self, watch_parent: bool = True, *, output_fds: list[int] | None = None, grace_s: float = 15.0, poll_s: float = 1.0, pdeathsig: bool = True) -> None:
        """Signal handlers, and (``watch_parent``) the parent-death watch: ``PR_SET_PDEATHSIG``
        (Linux, unless ``pdeathsig`` is False) plus a thread polling ``os.getppid()``.
        ``output_fds``: the pipes to the parent (the event stream, stderr) to silence once the
        parent is gone."""
        self._fds = list(output_fds if output_fds is not None else [1, 2])

        def handler(signum: int, _frame: Any) -> None:
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                self._on_parent_gone(f"signal {signum}: the parent process {self.parent_pid} exited")
                return
            if not self.request(f"signal {signum}", signum):
                raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        if not watch_parent:
            return
        self.parent_pid = os.getppid()
        if pdeathsig:
            set_parent_death_signal(signal.SIGTERM)
        # The parent may have died before prctl took effect: then nothing would send the signal.
        if os.getppid() != self.parent_pid:
            self._on_parent_gone(f"the parent process {self.parent_pid} exited")
        threading.Thread(target=self._watch, args=(poll_s, grace_s), name="web4-parent-watch", daemon=True).start()

    def _on_parent_gone(self, reason: str) -> None:
        first = not self.parent_gone
        self.parent_gone = True
        if first:
            _silence_dead_pipes(self._fds)
        self.request(reason, signal.SIGTERM)

    def _watch(self, poll_s: float, grace_s: float) -> None:
        while os.getppid() == self.parent_pid:
            time.sleep(poll_s)
        self._on_parent_gone(f"the parent process {self.parent_pid} exited (now a child of {os.getppid()})")
        time.sleep(grace_s)
        log(f"{self.activity} did not stop within {grace_s:g} s of the parent's exit: exiting now")
        self.cleanup()
        os._exit(EXIT_CODES["interrupted"])
