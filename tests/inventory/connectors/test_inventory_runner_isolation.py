"""What a connector cannot reach: the worker's environment, Django, a CMP API, the call file;
what never leaves the runner: its secrets; and calls refused before a process starts."""

import contextlib
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from inventory.connectors.errors import ConnectorFailed
from inventory.connectors.runner import PROJECT_ROOT, ConnectorCall, run_connector
from tests.inventory.connectors.modules import PACKAGE

TOKEN = "s3cr3t-T0KEN-4242"


def call(name, **kwargs):
    kwargs.setdefault("time_limit", 20)
    kwargs.setdefault("memory_mb", 256)
    return ConnectorCall(f"{PACKAGE}.{name}", **kwargs)


def fail(name, **kwargs):
    with pytest.raises(ConnectorFailed) as caught:
        run_connector(call(name, **kwargs))
    return caught.value


def test_the_child_gets_a_minimal_environment_not_the_workers(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://channelhub:pw@db/channelhub")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "channelhub.settings")
    monkeypatch.setenv("CONNECT_API_KEY", "ApiKey SU-1:xyz")

    with run_connector(call("nosy", event={"look": "environment"})) as run:
        (item,) = next(run.pages())
        home = str(run.workdir / "home")

    seen = item["metadata"]
    environ = seen["environ"]
    assert "DATABASE_URL" not in environ and "DJANGO_SETTINGS_MODULE" not in environ
    assert "CONNECT_API_KEY" not in environ
    assert set(environ) - {"LC_CTYPE"} == {"PATH", "LANG", "HOME", "TMPDIR", "PYTHONPATH", "PYTHONIOENCODING"}
    assert environ["HOME"] == home == seen["cwd"]
    assert environ["PYTHONPATH"] == str(PROJECT_ROOT)
    assert seen["pid"] != os.getpid()


def test_the_call_file_is_gone_before_the_connector_runs():
    with run_connector(call("nosy", event={"look": "call_file", "credentials": {"token": TOKEN}})) as run:
        (item,) = next(run.pages())

    assert item["metadata"]["workdir"] == ["home", "io"]
    assert "call.json" not in item["metadata"]["io"]


@pytest.mark.parametrize(
    ("look", "words"),
    [
        ("django", "ModuleNotFoundError: import of django halted; None in sys.modules"),
        ("django_db", "ModuleNotFoundError: No module named 'django.db'; 'django' is not a package"),
        ("psycopg", "ModuleNotFoundError: import of psycopg halted; None in sys.modules"),
    ],
)
def test_a_connector_cannot_import_django_or_the_database_driver(look, words):
    failed = fail("nosy", event={"look": look})

    assert (failed.kind, failed.words) == ("error", words)


def test_context_api_refuses_clearly():
    failed = fail("nosy", event={"look": "api"})

    assert failed.kind == "error"
    assert failed.words == (
        "NoCmpApi: no CMP API here: channelhub runs connectors without one (context.api.get('/accounts'))"
    )


def test_secrets_are_censored_from_logs():
    connector_call = call("noisy", event={"credentials": {"token": TOKEN}}, secrets=("", TOKEN))
    with run_connector(connector_call) as run:
        logs = run.logs

    assert logs[0] == "DEBUG: calling the provider with token ********"
    assert not any(TOKEN in line for line in logs)


def test_secrets_are_censored_from_error_words_tracebacks_and_logs():
    failed = fail(
        "noisy", handler="get_resources", event={"credentials": {"token": TOKEN}}, secrets=(TOKEN, "unused")
    )

    assert failed.words == "RuntimeError: the provider refused token ********"
    assert TOKEN not in failed.traceback and "refused token ********" in failed.traceback
    assert failed.logs == ["INFO: token=********"]
    assert TOKEN not in str(failed) and TOKEN not in repr(failed.args)


def test_an_uncensored_run_shows_what_censoring_hides():
    failed = fail("noisy", handler="get_resources", event={"credentials": {"token": TOKEN}})

    assert TOKEN in failed.words  # the censoring above is the runner's doing, not an accident


def test_the_child_program_imports_the_standard_library_only():
    probe = (
        "import sys; before = set(sys.modules); import inventory.connectors.child; "
        "print(sorted(m for m in set(sys.modules) - before "
        "if m.split('.')[0] not in sys.stdlib_module_names))"
    )
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(PROJECT_ROOT)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "['inventory', 'inventory.connectors', 'inventory.connectors.child']"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"handler": "get_logs"}, "handler must be one of get, get_resources, get_metrics"),
        ({"time_limit": 0}, "time_limit must be a positive number"),
        ({"time_limit": float("inf")}, "time_limit must be a positive number"),
        ({"memory_mb": 10}, "memory_mb must be an integer of at least 64"),
        ({"event": ["x"]}, "event and .state must be dicts"),
        ({"secrets": (None,)}, "secrets must be strings"),
    ],
)
def test_a_call_that_cannot_run_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        call("stateful", **kwargs)


def test_an_event_that_is_not_json_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    with pytest.raises(ValueError, match="must be JSON-serializable"):
        run_connector(call("stateful", event={"when": object()}))
    assert list(tmp_path.iterdir()) == []


def test_the_failure_pickles_with_its_fields():
    failed = fail("broken", event={"how": "value_error"})
    again = pickle.loads(pickle.dumps(failed))

    assert (again.kind, again.words, again.traceback, again.logs, again.state) == (
        failed.kind,
        failed.words,
        failed.traceback,
        failed.logs,
        failed.state,
    )
    assert json.dumps(again.state) == '{"cursor": "before-the-error"}'


WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
from inventory.connectors.runner import ConnectorCall, run_connector
run_connector(ConnectorCall("tests.inventory.connectors.modules.broken", event={"how": "hang"}, time_limit=120))
"""


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_a_connector_dies_with_a_worker_killed_by_sigkill(tmp_path):
    """A worker killed mid-run (SIGKILL: no cleanup of its own) takes its connector with it
    (PR_SET_PDEATHSIG), so no third-party code runs on unwatched."""
    root = PROJECT_ROOT
    worker = subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", WORKER, str(root)], env={**os.environ, "TMPDIR": str(tmp_path)}
    )
    helper = None
    try:
        deadline = time.monotonic() + 20
        logs = []
        while time.monotonic() < deadline and not logs:
            logs = [p for p in tmp_path.glob("channelhub-connector-*/io/logs.jsonl") if p.read_text()]
            time.sleep(0.05)
        assert logs, "the connector never started"
        line = json.loads(logs[0].read_text().splitlines()[0])
        child_pid, helper = (int(pid) for pid in str(line).split("pids ")[1].split()[:2])
        assert _alive(child_pid)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(child_pid):
            time.sleep(0.05)
        assert not _alive(child_pid), "the connector outlived its worker"
    finally:
        worker.kill()
        if helper is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(helper, signal.SIGKILL)  # a grandchild it started: not ours to vouch for
