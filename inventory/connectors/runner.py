"""Running an nflex connector module in a child process: the parent's side.

`run_connector(call)` starts ``python -m inventory.connectors.child`` in a new session, in a
fresh temporary directory, with a minimal environment (no DATABASE_URL, no settings module, no
API keys) and the call in a 0600 file; it waits at most `time_limit` seconds (then kills the
whole process group), and reads back the envelope the child wrote. Failures of any sort - a
crash, a hang, memory, garbage, the connector's own exceptions - raise `ConnectorFailed` with
words for staff; nothing else is affected. A success is a `ConnectorRun`, whose resources stay
on disk and are read page by page::

    with run_connector(call) as run:
        for page in run.pages(500):
            ...
"""

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from inventory.connectors import child
from inventory.connectors.errors import (
    KINDS,
    ConnectorFailed,
    cpu_words,
    crashed_words,
    error_words,
    garbage_words,
    memory_words,
    timeout_words,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MAX_ITEMS = 5_000_000
DEFAULT_MAX_ITEM_BYTES = 1024 * 1024
MIN_MEMORY_MB = 64  # below this the interpreter itself cannot start
_OUTPUT_FILE = "child.out"  # the child's fd 1 and 2: only the interpreter's own last words land here
_MEMORY_SIGNS = ("MemoryError", "Cannot allocate memory", "out of memory", "bad_alloc")


@dataclass(frozen=True)
class ConnectorCall:
    """One run of a connector module's handler, with its limits.

    `module` is a dotted module path or a .py file's path; `handler` is get (or flexer's
    get_resources: either name finds either function) or get_metrics. `event` carries the
    credentials, parameters and poll window; `state` the source's persisted state. Every string
    of `secrets` is censored from logs, error words and tracebacks.
    """

    module: str
    handler: str = "get"
    event: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    time_limit: float = 300.0
    memory_mb: int = 1024
    secrets: tuple[str, ...] = ()
    max_items: int = DEFAULT_MAX_ITEMS
    max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES

    def __post_init__(self):
        """Refuse a call that cannot run, before any process starts."""
        if not isinstance(self.module, str) or not self.module.strip():
            raise ValueError("ConnectorCall.module must name a module (dotted path or .py file)")
        if self.handler not in child.HANDLERS:
            raise ValueError(
                f"ConnectorCall.handler must be one of {', '.join(child.HANDLERS)}, not {self.handler!r}"
            )
        if not isinstance(self.event, dict) or not isinstance(self.state, dict):
            raise ValueError("ConnectorCall.event and .state must be dicts")
        if not (isinstance(self.time_limit, int | float) and 0 < self.time_limit < math.inf):
            raise ValueError(
                f"ConnectorCall.time_limit must be a positive number of seconds, not {self.time_limit!r}"
            )
        if not isinstance(self.memory_mb, int) or self.memory_mb < MIN_MEMORY_MB:
            raise ValueError(f"ConnectorCall.memory_mb must be an integer of at least {MIN_MEMORY_MB}")
        if self.max_items < 0 or self.max_item_bytes < 1:
            raise ValueError("ConnectorCall.max_items and .max_item_bytes must be positive")
        if not all(isinstance(s, str) for s in self.secrets):
            raise ValueError("ConnectorCall.secrets must be strings")

    @property
    def cpu_seconds(self):
        """RLIMIT_CPU of the child: a backstop a little past the wall-clock limit."""
        return math.ceil(self.time_limit) + 1

    def censor(self, text):
        """`text` with the call's secrets replaced by ********."""
        return child.censor(text, self.secrets)


class ConnectorRun:
    """A successful run; a context manager: its resources live in a temp dir until closed.

    `logs` (censored, capped), `state` (after the run), `count` (items returned), `value` (for
    get_metrics: the dict or list it returned; None for resources), `duration` (seconds).
    """

    def __init__(self, *, call, workdir, envelope, duration):
        self.call = call
        self.workdir = Path(workdir)
        self.logs = envelope["logs"]
        self.state = envelope["state"]
        self.count = envelope["count"]
        self.value = envelope["value"]
        self.duration = duration
        self._resources = self.workdir / "io" / child.RESOURCES_FILE
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(workdir), True)

    def __enter__(self):
        """The run itself."""
        return self

    def __exit__(self, *exc_info):
        """Remove the temp dir."""
        self.close()

    @property
    def closed(self):
        """True once the temp dir is gone."""
        return not self._finalizer.alive

    def close(self):
        """Remove the temp dir and the resources in it (also done if the run is garbage-collected)."""
        self._finalizer()

    def pages(self, size: int = 500) -> Iterator[list[dict]]:
        """The resources in lists of at most `size`, read from disk as they are asked for.

        Each line is checked again (the child's files are not trusted); a bad one raises
        ConnectorFailed("garbage") at its page.
        """
        if not isinstance(size, int) or size < 1:
            raise ValueError("the page size must be a positive integer")
        if self.closed:
            raise RuntimeError("this connector run is closed: its resources are gone")
        if self.call.handler in child.VALUE_HANDLERS:
            return
        page, seen = [], 0
        with open(self._resources, "rb") as lines:
            for seen, line in enumerate(lines, 1):
                page.append(self._parse(seen, line))
                if len(page) >= size:
                    yield page
                    page = []
        if page:
            yield page
        if seen != self.count:
            raise self._garbage(f"{seen} resources on disk, {self.count} announced")

    def _parse(self, index, line):
        try:
            item = json.loads(line)
        except ValueError:
            raise self._garbage(f"item {index}: not valid JSON on disk") from None
        try:
            child.check_item(index, item)
        except child.Garbage as exc:
            raise self._garbage(str(exc)) from None
        return item

    def _garbage(self, detail):
        return ConnectorFailed("garbage", garbage_words(detail), logs=self.logs, state=self.state)


def run_connector(call: ConnectorCall) -> ConnectorRun:
    """Run `call` in a child process; a ConnectorRun, or ConnectorFailed saying why not."""
    workdir = tempfile.mkdtemp(prefix="channelhub-connector-")
    try:
        return _run_in(call, Path(workdir))
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def _run_in(call, workdir):
    io_dir, home = workdir / "io", workdir / "home"
    io_dir.mkdir(mode=0o700)
    (home / "tmp").mkdir(mode=0o700, parents=True)
    _write_private(io_dir / child.CALL_FILE, _call_payload(call))
    started = time.monotonic()
    with open(io_dir / _OUTPUT_FILE, "wb") as output:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter running our own child module
            [sys.executable, "-B", "-m", "inventory.connectors.child", str(io_dir)],
            cwd=home,
            env=_child_env(home),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    timed_out, rusage = _wait(proc, started + call.time_limit)
    duration = time.monotonic() - started
    if timed_out:
        raise ConnectorFailed("timeout", timeout_words(call.time_limit), logs=_logs_from_file(call, io_dir))
    envelope = _read_envelope(call, io_dir)
    if envelope is None:
        raise _died(call, io_dir, proc.returncode, rusage)
    if not envelope["ok"]:
        raise _failed(call, envelope)
    _check_lines(call, io_dir, envelope)
    return ConnectorRun(call=call, workdir=workdir, envelope=envelope, duration=duration)


def _call_payload(call):
    payload = {
        "module": call.module,
        "handler": call.handler,
        "event": call.event,
        "state": call.state,
        "memory_mb": call.memory_mb,
        "cpu_seconds": call.cpu_seconds,
        "secrets": list(call.secrets),
        "max_items": call.max_items,
        "max_item_bytes": call.max_item_bytes,
        "parent_pid": os.getpid(),  # the child dies with us (child._die_with_parent)
    }
    try:
        return json.dumps(payload, default=child._encode_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the connector's event and state must be JSON-serializable: {exc}") from None


def _write_private(path, text):
    """Write `text` to a new file only its owner can read (it carries credentials)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _child_env(home):
    """The child's whole environment: enough to run Python, nothing of the worker's."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),  # the connector's temp files go away with the run
        "PYTHONPATH": str(PROJECT_ROOT),
        "PYTHONIOENCODING": "utf-8",
    }


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already empty


def _wait(proc, deadline):
    """Wait for the child until `deadline`, then kill its group; (timed out?, its rusage).

    The leader is reaped only after its group is killed (waitid with WNOWAIT leaves it a zombie
    meanwhile), so the group id cannot have been reused by then: nothing it started survives.
    """
    timed_out, delay = False, 0.002
    try:
        while os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.05)
    finally:
        _kill_group(proc.pid)
        _pid, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return timed_out, rusage


def _read_envelope(call, io_dir):
    """The child's envelope, checked and censored; None if it wrote none (it died)."""
    try:
        raw = (io_dir / child.ENVELOPE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        envelope = json.loads(raw)
        _check_envelope(envelope)
    except (ValueError, TypeError):
        raise ConnectorFailed(
            "garbage",
            garbage_words("the child's result envelope is malformed"),
            logs=_logs_from_file(call, io_dir),
        ) from None
    envelope["logs"] = _clean_logs(call, envelope["logs"])
    return envelope


def _check_envelope(envelope):
    if not isinstance(envelope, dict) or not isinstance(envelope.get("ok"), bool):
        raise ValueError("not an envelope")
    if not isinstance(envelope.get("count"), int) or envelope["count"] < 0:
        raise ValueError("bad count")
    if not isinstance(envelope.get("logs"), list) or not isinstance(envelope.get("state"), dict | None):
        raise ValueError("bad logs or state")
    error = envelope.get("error")
    if envelope["ok"]:
        if error is not None or envelope["state"] is None:
            raise ValueError("ok with an error")
    elif not isinstance(error, dict) or error.get("kind") not in KINDS:
        raise ValueError("a failure without its error")


def _clean_logs(call, lines):
    """Logs as they leave the runner: strings, censored, at most the child's caps."""
    cleaned = [
        call.censor(str(line))[: child.MAX_LOG_CHARS + 20] for line in lines[: child.MAX_LOG_LINES + 1]
    ]
    if len(lines) > child.MAX_LOG_LINES + 1:
        cleaned.append(f"... {len(lines) - child.MAX_LOG_LINES - 1} more log lines were not kept")
    return cleaned


def _logs_from_file(call, io_dir):
    """The log lines a child wrote as it went (all there is when it died or was killed)."""
    lines = []
    try:
        with open(io_dir / child.LOG_FILE, encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                if len(lines) > child.MAX_LOG_LINES:
                    break
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    break  # a line cut by the kill
    except FileNotFoundError:
        return []
    return _clean_logs(call, lines)


def _output_tail(call, io_dir, size=child.MAX_TRACE_CHARS):
    """The end of what the interpreter itself wrote to fd 1/2 (fatal errors), censored."""
    path = io_dir / _OUTPUT_FILE
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - size))
        return call.censor(fh.read().decode("utf-8", errors="replace")).strip()


def _died(call, io_dir, returncode, rusage):
    """The failure of a child that ended without an envelope."""
    logs, tail = _logs_from_file(call, io_dir), _output_tail(call, io_dir)
    if returncode == -signal.SIGXCPU:
        return ConnectorFailed("timeout", cpu_words(call.cpu_seconds), traceback=tail, logs=logs)
    # Not the child's peak RSS: Linux carries it over from the forked parent across exec, so a
    # big worker's child looked "near its limit" when killed by a plain signal.
    if any(sign in tail for sign in _MEMORY_SIGNS):
        return ConnectorFailed("memory", memory_words(call.memory_mb), traceback=tail, logs=logs)
    return ConnectorFailed("crashed", crashed_words(returncode), traceback=tail, logs=logs)


def _failed(call, envelope):
    """The failure the child reported: the connector's exception, memory, or garbage."""
    error, kind = envelope["error"], envelope["error"]["kind"]
    error = {
        key: call.censor(str(error.get(key) or "")) for key in ("exc_type", "exc_message", "stack_trace")
    } | {"default_message": bool(error.get("default_message"))}
    trace = child.cut(error["stack_trace"])
    if kind == "memory":
        words = memory_words(call.memory_mb)
    elif kind == "garbage":
        words, trace = garbage_words(error["exc_message"]), ""
    elif kind in ("timeout", "crashed"):  # the child never reports these: a forged envelope
        kind, words = "garbage", garbage_words("the child's result envelope is malformed")
    else:
        words = error_words(kind, error)
    return ConnectorFailed(kind, words, traceback=trace, logs=envelope["logs"], state=envelope["state"])


def _check_lines(call, io_dir, envelope):
    """Check, without parsing, that the resources on disk are as many and as small as allowed.

    A connector could write the file itself: this keeps `pages()` from ever reading a line
    larger than max_item_bytes into the parent's memory.
    """
    if call.handler in child.VALUE_HANDLERS:
        return
    seen, limit = 0, call.max_item_bytes + 1
    try:
        with open(io_dir / child.RESOURCES_FILE, "rb") as lines:
            while line := lines.readline(limit + 1):
                seen += 1
                if len(line) > limit:
                    raise _envelope_garbage(envelope, f"item {seen}: larger than {call.max_item_bytes} bytes")
    except FileNotFoundError:
        pass
    if seen != envelope["count"] or seen > call.max_items:
        raise _envelope_garbage(envelope, f"{seen} resources on disk, {envelope['count']} announced")


def _envelope_garbage(envelope, detail):
    return ConnectorFailed("garbage", garbage_words(detail), logs=envelope["logs"], state=envelope["state"])
