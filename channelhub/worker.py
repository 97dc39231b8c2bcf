"""The django-q2 cluster as `manage.py qcluster` runs it: stops on time, never leaves orphans.

django-q2 1.11 on its own handles stops badly (docs/operations.md, "What happens on stop"):

- A SIGTERM to the whole process group (systemd's default, Ctrl-C in a terminal) reaches the
  main process and the Sentinel together. The Sentinel dies at once (it resets SIGTERM to the
  default action), killing its workers mid-task, while the main process's handler calls
  `stop_event.set()`. That multiprocessing Event waits for every sleeper on it to wake, and the
  Sentinel was one (its guard loop sleeps in `stop_event.wait()`): the main process blocks
  forever and the unit sits in "stopping" until it is SIGKILLed.
- Killing the main process leaves the Sentinel and its workers running: an orphaned cluster
  that keeps pulling tasks, next to the one a supervisor restarts.

Here only the main process reacts to SIGTERM/SIGINT: every other process of the cluster ignores
them. The main process asks the Sentinel to stop (the pusher stops pulling, each worker
finishes the task in hand, the monitor saves the results) and waits up to `grace` seconds; a
Sentinel still busy then is SIGKILLed. Every child process asks the kernel to SIGKILL it when
its parent dies (PR_SET_PDEATHSIG), so a killed main process or Sentinel takes its children
with it. What happens to a task cut short is in docs/operations.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import sys
import threading
import time

from django_q import cluster as q_cluster

logger = logging.getLogger("channelhub.worker")

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
DEFAULT_GRACE_SECONDS = 7.0  # SIGTERM to exit stays under 10 s with the kill and its reaping


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies. A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        logger.warning("prctl(PR_SET_PDEATHSIG) failed: %s", os.strerror(ctypes.get_errno()))
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the parent died before the request took effect: nobody will kill us


def _in_every_child(_registry_key) -> None:
    """Run in each process of the cluster right after its fork (Sentinel, workers, pusher,
    monitor): only the main process coordinates a stop, and nobody outlives its parent."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


class _ChildHook:
    """multiprocessing keeps after-fork hooks in a weak registry: this object keeps ours alive."""


_child_hook = _ChildHook()


class Sentinel(q_cluster.Sentinel):
    """django-q's Sentinel, minus its own SIGTERM reaction, and killing timed-out workers
    with SIGKILL (they ignore the SIGTERM django-q sends them)."""

    def start(self):
        """Start with SIGTERM ignored again: only the cluster's main process coordinates a stop."""
        # Sentinel.__init__ has just put SIGTERM back to its default action: ignore it again.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        super().start()

    def reincarnate(self, process):
        """SIGKILL a worker that timed out (it ignores SIGTERM), then replace it as django-q does."""
        if process in self.pool and process.timer.value == 0:
            process.kill()
        super().reincarnate(process)


class Cluster(q_cluster.Cluster):
    """A cluster whose signal handler only notes the signal; `run()` does the stopping."""

    def __init__(self, *, grace: float = DEFAULT_GRACE_SECONDS):
        self.grace = grace
        self.stop_signal = None
        super().__init__()  # installs self.sig_handler for SIGTERM and SIGINT

    def sig_handler(self, signum, frame):
        """Note the signal for `run()` and nothing more."""
        # Only a flag: a signal handler that takes locks can deadlock the code it interrupted.
        self.stop_signal = signum

    def start(self) -> int:
        """Start django-q's cluster with our Sentinel and our after-fork hook in every child process."""
        multiprocessing.util.register_after_fork(_child_hook, _in_every_child)
        q_cluster.Sentinel = Sentinel  # Cluster.start() spawns the module's Sentinel
        return super().start()

    def run(self) -> None:
        """Start, serve until SIGTERM/SIGINT (or until the Sentinel dies), stop within `grace`."""
        self.start()
        while self.stop_signal is None and self.sentinel.is_alive():
            time.sleep(0.2)
        self.stop_within(self.grace)

    def stop_within(self, seconds: float) -> None:
        """Stop the cluster; if it has not stopped within `seconds`, kill it (its children die with it)."""
        if not self.sentinel.is_alive():
            logger.error("Q Cluster %s: the Sentinel exited with %s", self.name, self.sentinel.exitcode)
            return
        logger.info("Q Cluster %s stopping (up to %.0f s for the tasks in hand).", self.name, seconds)
        # Event.set() waits for the Sentinel to wake from its wait() on the event; should the
        # Sentinel die in between, that wait never ends. It must not hold up the exit.
        threading.Thread(target=self.stop_event.set, name="stop-event", daemon=True).start()
        self.sentinel.join(seconds)
        if self.sentinel.is_alive():
            logger.warning(
                "Q Cluster %s did not stop within %.0f s: killing it; tasks still running go back "
                "to the broker's retry (docs/operations.md)",
                self.name,
                seconds,
            )
            self.sentinel.kill()  # its children follow: they die with their parent
            self.sentinel.join(2)
        logger.info("Q Cluster %s has stopped.", self.name)
