"""The program a connector module runs in: ``python -m inventory.connectors.child <io dir>``.

It is started by `inventory.connectors.runner` in a process of its own, and imports the
STANDARD LIBRARY ONLY (no Django, nothing of channelhub or inventory but this module): what
it loads is third-party connector code, kept away from the worker's memory, database and
environment. The parent imports the checks below (`check_item`, `encode_item`, `censor`, `cut`)
so both sides judge output by the same rules.

The call (module, handler, event, state, limits, secrets) arrives in `call.json` in the io
directory, which the child deletes once read (it carries credentials). The child writes:

- `resources.jsonl`: the resources of a `get`/`get_resources` handler, one JSON object a line;
- `logs.jsonl`: each log line as it comes (the parent's fallback when the child dies);
- `envelope.json` last, written whole then renamed: flexer's keys, ``{"ok", "count", "logs",
  "state", "value", "error": null | {"exc_type", "exc_message", "stack_trace", "kind"}}``.
"""

import ctypes
import datetime
import importlib
import importlib.util
import io
import json
import os
import resource
import signal
import sys
import traceback

CALL_FILE = "call.json"
RESOURCES_FILE = "resources.jsonl"
LOG_FILE = "logs.jsonl"
ENVELOPE_FILE = "envelope.json"

RESOURCE_HANDLERS = ("get", "get_resources")  # the library's name and flexer's: either is accepted
VALUE_HANDLERS = ("get_metrics",)
HANDLERS = RESOURCE_HANDLERS + VALUE_HANDLERS

# A connector importing these fails with ImportError: no database, no task queue, no broker.
REFUSED_MODULES = (
    "django",
    "rest_framework",
    "django_q",
    "psycopg",
    "psycopg2",
    "psycopg_binary",
    "psycopg_c",
    "redis",
)

# nflex's errors, matched by class name (a connector's own same-named class counts too):
# name -> (kind, the library's default message).
NFLEX_ERRORS = {
    "InvalidCredentials": ("invalid_credentials", "Invalid Credentials"),
    "InsufficientPermission": ("insufficient_permission", "Insufficient permission"),
    "NoBillingReport": ("no_billing_report", "No billing report found"),
}

CENSORED = "********"
MAX_LOG_LINES = 500
MAX_LOG_CHARS = 2000
MAX_TRACE_CHARS = 4000
MAX_STATE_BYTES = 4 * 1024 * 1024
MAX_VALUE_BYTES = 64 * 1024 * 1024
_ID_SHOWN = 80


class Garbage(Exception):
    """The connector's output cannot be used; the message says which part and why."""


def censor(text, secrets):
    """`text` with every non-empty secret replaced by ********, the longest first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, CENSORED)
    return text


def cut(text, limit=MAX_TRACE_CHARS):
    """`text` cut to about `limit` characters: its start and, mostly, its end (where the raise is)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head
    return f"{text[:head]}\n... ({len(text) - limit} characters cut) ...\n{text[-tail:]}"


def _label(index, item):
    """How an item is named in words: its 1-based position, and its id when it has a usable one."""
    ident = item.get("id") if isinstance(item, dict) else None
    if isinstance(ident, str) and ident:
        shown = ident if len(ident) <= _ID_SHOWN else ident[:_ID_SHOWN] + "..."
        return f"item {index} (id {shown!r})"
    return f"item {index}"


def check_item(index, item):
    """Raise Garbage unless `item` has the nflex resource shape (flexer's schema: id, type, base)."""
    if not isinstance(item, dict):
        raise Garbage(f"item {index}: not an object but {type(item).__name__}")
    label = _label(index, item)
    ident = item.get("id")
    if not isinstance(ident, str):
        what = "missing" if ident is None else f"a {type(ident).__name__}, not a string"
        raise Garbage(f"{label}: id is {what}")
    if not ident:
        raise Garbage(f"{label}: id is empty")
    if not isinstance(item.get("type"), str):
        raise Garbage(f"{label}: type is missing or not a string")
    base = item.get("base")
    if not isinstance(base, dict):
        raise Garbage(f"{label}: base is not an object")
    name = base.get("name")
    if name is not None and not isinstance(name, str):
        raise Garbage(f"{label}: base.name is neither a string nor null")


def _encode_default(value):
    """JSON for what json cannot encode itself: dates and times as isoformat (as flexer does)."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} object cannot be written as JSON")


def to_json_bytes(value, what, limit):
    """`value` as compact UTF-8 JSON, or Garbage naming `what` (not serializable, too large)."""
    try:
        text = json.dumps(
            value, default=_encode_default, allow_nan=False, ensure_ascii=False, separators=(",", ":")
        )
        data = text.encode("utf-8")
    except TypeError as exc:
        raise Garbage(f"{what}: not JSON-serializable ({exc})") from None
    except ValueError:
        raise Garbage(f"{what}: holds a number that is NaN or infinite") from None
    except UnicodeEncodeError:
        raise Garbage(f"{what}: holds text that is not valid Unicode") from None
    except RecursionError:
        raise Garbage(f"{what}: nested too deeply (or refers to itself)") from None
    if len(data) > limit:
        raise Garbage(f"{what}: {len(data)} bytes, more than the limit of {limit}")
    return data


def encode_item(index, item, max_bytes):
    """One resource checked and encoded as a JSON line (bytes, without the newline)."""
    check_item(index, item)
    return to_json_bytes(item, _label(index, item), max_bytes)


class LogBook:
    """The run's log lines: censored, each cut to MAX_LOG_CHARS, at most MAX_LOG_LINES kept.

    Every kept line is also appended to `logs.jsonl` at once, so a child that dies keeps them.
    """

    def __init__(self, path, secrets):
        self.lines = []
        self.dropped = 0
        self._secrets = tuple(secrets)
        self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run

    def add(self, line):
        """Keep one line (censored before it is cut, so no part of a secret survives the cut)."""
        if len(self.lines) >= MAX_LOG_LINES:
            self.dropped += 1
            return
        line = censor(str(line), self._secrets)
        if len(line) > MAX_LOG_CHARS:
            line = line[:MAX_LOG_CHARS] + " ...(cut)"
        self.lines.append(line)
        self._file.write(json.dumps(line) + "\n")
        self._file.flush()

    def final_lines(self):
        """The kept lines, with a last one counting those that were not kept."""
        if self.dropped:
            return [*self.lines, f"... {self.dropped} more log lines were not kept"]
        return list(self.lines)


class Capture(io.TextIOBase):
    """Stands in for sys.stdout and sys.stderr: what the connector prints becomes log lines."""

    def __init__(self, book):
        super().__init__()
        self._book = book
        self._partial = ""

    def writable(self):
        """A capture can be written to."""
        return True

    def write(self, text):
        """Split into lines; a partial last line waits for the rest (or for `drain`)."""
        text = str(text)
        if len(self._partial) > MAX_LOG_CHARS * 2:  # a connector printing without newlines
            self.drain()
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._book.add(line)
        return len(text)

    def drain(self):
        """Log the partial line, if any."""
        if self._partial:
            self._book.add(self._partial)
            self._partial = ""

    @property
    def encoding(self):
        """What print() and libraries ask of a text stream."""
        return "utf-8"


class NoCmpApi(RuntimeError):
    """Raised by `context.api`: channelhub runs connectors without CMP's API."""


class _NoApi:
    """`context.api`: every call fails clearly instead of reaching a CMP that is not there."""

    def _refuse(self, method, args, kwargs):
        path = kwargs.get("path", args[0] if args else "")
        raise NoCmpApi(
            f"no CMP API here: channelhub runs connectors without one (context.api.{method}({path!r}))"
        )

    def get(self, *args, **kwargs):
        """Refused: no CMP API."""
        self._refuse("get", args, kwargs)

    def post(self, *args, **kwargs):
        """Refused: no CMP API."""
        self._refuse("post", args, kwargs)

    def put(self, *args, **kwargs):
        """Refused: no CMP API."""
        self._refuse("put", args, kwargs)

    def patch(self, *args, **kwargs):
        """Refused: no CMP API."""
        self._refuse("patch", args, kwargs)

    def delete(self, *args, **kwargs):
        """Refused: no CMP API."""
        self._refuse("delete", args, kwargs)


class Context:
    """The `context` a connector gets, as flexer's FlexerContext but local.

    `module_id` is None (so nflex's Account.update and Logger stay local), and the event never
    carries a `task_id` (so set_task_percentage never calls the API).
    """

    module_id = None
    api_url = None
    api_auth = None

    def __init__(self, book, state):
        self.api = _NoApi()
        self.state = state
        self._book = book

    def log(self, message, severity="INFO"):
        """A log line of the run (flexer posts it to CMP's /logs)."""
        self._book.add(f"{severity}: {message}")

    def get_state(self, key, default=None):
        """The value the source's state holds for `key` (persisted by channelhub between runs)."""
        return self.state.get(key, default)

    def update_state(self, key, value):
        """Set `key` in the source's state; channelhub keeps it after the run."""
        self.state[key] = value

    def mail(self, *args, **kwargs):
        """No mail is sent from a connector here: the subject is logged instead."""
        subject = kwargs.get("subject", args[2] if len(args) > 2 else "")
        self._book.add(f"MAIL (not sent, no CMP here): {subject}")

    def set_response_header(self, key, value):
        """Accepted and ignored: a connector run here has no HTTP response."""


def _refuse_modules():
    for name in REFUSED_MODULES:
        sys.modules[name] = None  # `import django` now raises ImportError


def _set_limits(memory_mb, cpu_seconds):
    def lowered(kind, wanted):
        _soft, hard = resource.getrlimit(kind)
        return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)

    memory = lowered(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu_hard = lowered(resource.RLIMIT_CPU, cpu_seconds + 5)
    resource.setrlimit(resource.RLIMIT_CPU, (min(cpu_seconds, cpu_hard), cpu_hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files in the work dir


def _load_module(module):
    if module.endswith(".py") or os.sep in module:
        path = os.path.abspath(module)
        sys.path.insert(0, os.path.dirname(path))  # as flexer runs main.py: its siblings import
        spec = importlib.util.spec_from_file_location("connector_module", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load a module from {path}")
        loaded = importlib.util.module_from_spec(spec)
        sys.modules["connector_module"] = loaded
        spec.loader.exec_module(loaded)
        return loaded
    return importlib.import_module(module)


def _find_handler(module, handler):
    names = RESOURCE_HANDLERS if handler in RESOURCE_HANDLERS else (handler,)
    names = (handler, *(n for n in names if n != handler))
    for name in names:
        found = getattr(module, name, None)
        if callable(found):
            return found
    raise AttributeError(f"the connector module has no {' nor '.join(f'{n}()' for n in names)}")


def _error_kind(exc):
    if isinstance(exc, MemoryError):
        return "memory", None
    for cls in type(exc).__mro__:
        if cls.__name__ in NFLEX_ERRORS:
            return NFLEX_ERRORS[cls.__name__]
    return "error", None


def describe_error(exc, secrets, skip_frames=1):
    """flexer's error object for `exc`, censored and cut, with our `kind` for the parent."""
    if isinstance(exc, MemoryError):
        traceback.clear_frames(exc.__traceback__)  # free what the connector held, to write this
    kind, default_message = _error_kind(exc)
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a connector's __str__ may itself fail
        message = "(the exception's message could not be read)"
    tb = exc.__traceback__
    for _ in range(skip_frames):  # our own frames calling the connector
        tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb
    try:
        stack = "".join(traceback.format_exception(type(exc), exc, tb))
    except Exception:  # noqa: BLE001 - formatting a connector's exception may fail too
        stack = ""
    return {
        "kind": kind,
        "exc_type": type(exc).__name__,
        "exc_message": cut(censor(message, secrets)),
        "stack_trace": cut(censor(stack, secrets)),
        "default_message": message == default_message if default_message else False,
    }


def _garbage(words):
    return {
        "kind": "garbage",
        "exc_type": "",
        "exc_message": words,
        "stack_trace": "",
        "default_message": False,
    }


def _write_resources(result, handler, path, max_items, max_item_bytes):
    if not isinstance(result, list):
        raise Garbage(f"{handler}() returned {type(result).__name__}, not a list of resources")
    count = 0
    with open(path, "wb", buffering=1024 * 1024) as out:
        for count, item in enumerate(result, 1):
            if count > max_items:
                raise Garbage(f"{handler}() returned more than {max_items} resources")
            out.write(encode_item(count, item, max_item_bytes))
            out.write(b"\n")
    return count


def _check_value(result, handler):
    if isinstance(result, dict):
        metrics = result.get("metrics")
        if not isinstance(metrics, list):
            raise Garbage(f"{handler}() returned an object without a list of metrics")
    elif isinstance(result, list):
        metrics = result
    else:
        raise Garbage(f"{handler}() returned {type(result).__name__}, not metrics")
    for index, metric in enumerate(metrics, 1):
        if not isinstance(metric, dict):
            raise Garbage(f"metric {index}: not an object but {type(metric).__name__}")
    value = json.loads(to_json_bytes(result, f"the result of {handler}()", MAX_VALUE_BYTES))
    return len(metrics), value


def _produce(call, result, io_dir):
    """Write or check the handler's result: (count, value), or Garbage."""
    handler = call["handler"]
    if handler in VALUE_HANDLERS:
        return _check_value(result, handler)
    path = os.path.join(io_dir, RESOURCES_FILE)
    return _write_resources(result, handler, path, call["max_items"], call["max_item_bytes"]), None


def run(call, book, io_dir):
    """Load the connector, call its handler, write its output: the envelope (a dict)."""
    secrets = call["secrets"]
    state = dict(call["state"])
    envelope = {"ok": False, "count": 0, "logs": [], "state": state, "value": None, "error": None}
    try:
        module = _load_module(call["module"])
        handler = _find_handler(module, call["handler"])
    except BaseException as exc:  # noqa: BLE001 - whatever loading a connector raises fails the run
        envelope["error"] = describe_error(exc, secrets, skip_frames=0)
        return envelope
    event = dict(call["event"])
    event.pop("task_id", None)  # nflex's set_task_percentage would call CMP's API with it
    context = Context(book, state)
    try:
        result = handler(event, context)
    except BaseException as exc:  # noqa: BLE001 - the connector's own failure is the run's result
        envelope["error"] = describe_error(exc, secrets)
        return envelope
    try:
        envelope["count"], envelope["value"] = _produce(call, result, io_dir)
        del result
        to_json_bytes(state, "the state written with update_state", MAX_STATE_BYTES)
    except Garbage as exc:
        envelope["error"] = _garbage(str(exc))
        return envelope
    except BaseException as exc:  # noqa: BLE001 - e.g. a list subclass failing while it is read
        envelope["error"] = describe_error(exc, secrets, skip_frames=0)
        return envelope
    envelope["ok"] = True
    return envelope


def _write_envelope(io_dir, envelope):
    try:
        data = json.dumps(envelope, default=_encode_default)
    except (TypeError, ValueError):  # the state could not be encoded: the check above said why
        envelope["state"] = {}
        data = json.dumps(envelope, default=str)
    tmp = os.path.join(io_dir, ENVELOPE_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(data)
    os.replace(tmp, os.path.join(io_dir, ENVELOPE_FILE))


def _die_with_parent(parent_pid):
    """Linux: SIGKILL this process when the worker that started it dies (even by SIGKILL), so
    no connector outlives its worker; exit at once if the worker is already gone."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the time limit still ends it
        return
    if parent_pid and os.getppid() != parent_pid:
        os._exit(3)


def main(argv):
    """Run the call found in argv[1]'s io directory; exit 0 once the envelope is written."""
    io_dir = argv[1]
    call_path = os.path.join(io_dir, CALL_FILE)
    with open(call_path, encoding="utf-8") as fh:
        call = json.load(fh)
    os.unlink(call_path)  # it carries credentials: the connector has them in its event only
    _die_with_parent(call.get("parent_pid"))
    _set_limits(call["memory_mb"], call["cpu_seconds"])
    _refuse_modules()
    book = LogBook(os.path.join(io_dir, LOG_FILE), call["secrets"])
    capture = Capture(book)
    sys.stdout = sys.stderr = capture
    reserve = bytearray(4 * 1024 * 1024)  # given back if memory runs out, to write the envelope
    try:
        envelope = run(call, book, io_dir)
    except MemoryError:
        envelope = {"ok": False, "count": 0, "logs": [], "state": None, "value": None, "error": None}
        envelope["error"] = _garbage("")
        envelope["error"].update(kind="memory", exc_type="MemoryError")
    del reserve
    capture.drain()
    envelope["logs"] = book.final_lines()
    _write_envelope(io_dir, envelope)
    sys.__stdout__.flush()
    os._exit(0)  # no atexit hooks or lingering threads of the connector: the run is over


if __name__ == "__main__":
    main(sys.argv)
