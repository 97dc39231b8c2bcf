"""How a connector run fails: one exception, its kinds, and the plain words staff read."""

import signal

KINDS = (
    "timeout",
    "memory",
    "crashed",
    "garbage",
    "invalid_credentials",
    "insufficient_permission",
    "no_billing_report",
    "error",
)

NFLEX_WORDS = {
    "invalid_credentials": "Invalid credentials: the source's credentials were refused.",
    "insufficient_permission": "Insufficient permission: the source's credentials lack a permission the connector needs.",
    "no_billing_report": "No billing report: the provider has no billing report for this period.",
}


class ConnectorFailed(Exception):
    """A connector run that gave no usable result; `words` say why, for staff.

    `kind` is one of KINDS; `traceback` is the connector's (censored, cut to about 4000
    characters; "" if there is none); `logs` its log lines; `state` what its update_state calls
    wrote before it failed (None when the child died without a result).
    """

    def __init__(self, kind, words, *, traceback="", logs=(), state=None):
        if kind not in KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        super().__init__(words)
        self.kind = kind
        self.words = words
        self.traceback = traceback
        self.logs = list(logs)
        self.state = state

    def __reduce__(self):
        """Pickles with its fields (a task queue may carry it between processes)."""
        return (_rebuild, (self.kind, self.words, self.traceback, self.logs, self.state))


def _rebuild(kind, words, traceback, logs, state):
    return ConnectorFailed(kind, words, traceback=traceback, logs=logs, state=state)


def _seconds(value):
    return f"{value:g} s"


def timeout_words(time_limit):
    """The connector ran past its wall-clock limit."""
    return f"The connector took longer than {_seconds(time_limit)} and was stopped."


def cpu_words(cpu_seconds):
    """The connector used up its CPU time (the backstop behind the wall clock)."""
    return f"The connector used more than {_seconds(cpu_seconds)} of CPU time and was stopped."


def memory_words(memory_mb):
    """The connector hit its memory limit."""
    return f"The connector ran out of memory (its limit is {memory_mb} MB) and was stopped."


def garbage_words(detail):
    """The connector's output cannot be used: `detail` says which part and why."""
    return f"The connector's output is unusable: {detail}."


def crashed_words(returncode):
    """The child ended without writing a result; `returncode` as subprocess gives it."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = "unknown signal"
        return f"The connector's process was killed by signal {-returncode} ({name}) before it returned a result."
    if returncode == 0:
        return "The connector's process exited before it returned a result."
    return f"The connector's process exited with code {returncode} before it returned a result."


def error_words(kind, error):
    """Words for an error the connector raised (`error`: the envelope's error object)."""
    exc_type = error.get("exc_type") or "Error"
    message = error.get("exc_message") or ""
    if kind in NFLEX_WORDS:
        words = NFLEX_WORDS[kind]
        if message and not error.get("default_message"):
            words = f"{words} The connector said: {message}"
        return words
    return f"{exc_type}: {message}" if message else exc_type
