"""Connector modules that fail: nflex's errors, exceptions, hangs, memory, crashes, garbage.
Each fails its run with a kind and words for staff; the temp dir is gone afterwards."""

import os
import tempfile
import time
from pathlib import Path

import pytest

from inventory.connectors.errors import ConnectorFailed
from inventory.connectors.runner import ConnectorCall, run_connector
from tests.inventory.connectors.modules import PACKAGE


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    """The runner's temp dirs go here, so each test can see that none is left."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield tmp_path
    assert list(tmp_path.iterdir()) == []


def fail(name, **kwargs):
    kwargs.setdefault("time_limit", 20)
    kwargs.setdefault("memory_mb", 256)
    with pytest.raises(ConnectorFailed) as caught:
        run_connector(ConnectorCall(f"{PACKAGE}.{name}", **kwargs))
    return caught.value


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (
            "invalid_credentials",
            "invalid_credentials",
            "Invalid credentials: the source's credentials were refused.",
        ),
        (
            "insufficient_permission",
            "insufficient_permission",
            "Insufficient permission: the source's credentials lack a permission the connector needs.",
        ),
        (
            "no_billing_report",
            "no_billing_report",
            "No billing report: the provider has no billing report for this period.",
        ),
        (
            "own_invalid_credentials",
            "invalid_credentials",
            "Invalid credentials: the source's credentials were refused.",
        ),
        ("not_quite", "error", "InvalidCredentialsError"),
    ],
)
def test_nflex_errors_have_their_own_kinds_and_words(error, kind, words):
    failed = fail("nflex_errors", event={"error": error})

    assert (failed.kind, failed.words, str(failed)) == (kind, words, words)
    assert "nflex_errors.py" in failed.traceback and failed.traceback.startswith("Traceback")
    assert failed.logs == ["INFO: checking the credentials"]
    assert failed.state == {}


def test_an_nflex_error_with_its_own_message_says_it():
    failed = fail("nflex_errors", event={"error": "invalid_credentials", "message": "key k-1 expired"})

    assert failed.kind == "invalid_credentials"
    assert (
        failed.words
        == "Invalid credentials: the source's credentials were refused. The connector said: key k-1 expired"
    )


def test_any_other_exception_is_an_error_with_its_type_message_and_traceback():
    failed = fail("broken", event={"how": "value_error", "account_id": "acc-7"})

    assert failed.kind == "error"
    assert failed.words == "ValueError: cannot parse the answer for account acc-7"
    assert 'broken.py", line' in failed.traceback and "in _value_error" in failed.traceback
    assert "connectors/child.py" not in failed.traceback  # the connector's frames, not ours
    assert failed.state == {"cursor": "before-the-error"}  # what it wrote before failing


def test_sys_exit_is_an_error_not_a_crash():
    failed = fail("broken", event={"how": "sys_exit"})

    assert (failed.kind, failed.words) == ("error", "SystemExit: 4")


def _running(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie is not running (PID 1 may reap it late)


def test_a_hanging_connector_is_stopped_at_its_time_limit_with_everything_it_started():
    started = time.monotonic()
    failed = fail("broken", event={"how": "hang"}, time_limit=2)
    elapsed = time.monotonic() - started

    assert failed.kind == "timeout"
    assert failed.words == "The connector took longer than 2 s and was stopped."
    assert failed.traceback == "" and failed.state is None
    assert 2 <= elapsed < 5
    assert failed.logs[0].startswith("INFO: pids ")  # logs written before the kill are kept
    child_pid, helper_pid = (int(pid) for pid in failed.logs[0].split()[2:])
    assert child_pid != os.getpid()
    assert not _running(child_pid) and not _running(helper_pid)


def test_cpu_time_past_the_backstop_is_a_timeout():
    failed = fail("broken", event={"how": "cpu"}, time_limit=10)

    assert failed.kind == "timeout"
    assert failed.words == "The connector used more than 11 s of CPU time and was stopped."


def test_running_out_of_memory_is_memory():
    failed = fail("broken", event={"how": "memory"}, memory_mb=256)

    assert failed.kind == "memory"
    assert failed.words == "The connector ran out of memory (its limit is 256 MB) and was stopped."
    assert failed.traceback.rstrip().endswith("MemoryError")


def test_an_exit_without_a_result_is_a_crash_with_its_code():
    failed = fail("broken", event={"how": "exit"})

    assert failed.kind == "crashed"
    assert failed.words == "The connector's process exited with code 3 before it returned a result."
    assert failed.logs == ["about to exit"] and failed.state is None


def test_death_by_a_signal_is_a_crash_naming_it():
    failed = fail("broken", event={"how": "kill"})

    assert failed.kind == "crashed"
    assert (
        failed.words
        == "The connector's process was killed by signal 9 (SIGKILL) before it returned a result."
    )
    assert failed.logs == ["INFO: about to be killed"]


@pytest.mark.parametrize(
    ("shape", "detail"),
    [
        ("dict", "get() returned dict, not a list of resources"),
        ("string", "get() returned str, not a list of resources"),
        ("generator", "get() returned generator, not a list of resources"),
        ("no_id", "item 2: id is missing"),
        ("empty_id", "item 1: id is empty"),
        ("int_id", "item 1: id is a int, not a string"),
        ("not_an_object", "item 3: not an object but int"),
        ("no_type", "item 1 (id 'r-1'): type is missing or not a string"),
        ("bad_base", "item 3 (id 'x'): base is not an object"),
        ("bad_name", "item 1 (id 'x'): base.name is neither a string nor null"),
        ("opaque", "item 2 (id 'r-2'): not JSON-serializable (a Opaque object cannot be written as JSON)"),
        ("nan", "item 1 (id 'r-1'): holds a number that is NaN or infinite"),
        ("huge", "item 2 (id 'big'): 2000071 bytes, more than the limit of 1048576"),
    ],
)
def test_garbage_output_says_which_item_and_why(shape, detail):
    failed = fail("garbage", event={"shape": shape})

    assert failed.kind == "garbage"
    assert failed.words == f"The connector's output is unusable: {detail}."
    assert failed.traceback == ""


def test_more_items_than_allowed_is_garbage():
    failed = fail("garbage", event={"shape": "many"}, max_items=10)

    assert failed.words == "The connector's output is unusable: get() returned more than 10 resources."


@pytest.mark.parametrize(
    ("shape", "detail"),
    [
        ("string", "get_metrics() returned str, not metrics"),
        ("dict", "get_metrics() returned an object without a list of metrics"),
        ("not_an_object", "metric 3: not an object but int"),
    ],
)
def test_garbage_metrics(shape, detail):
    failed = fail("garbage", handler="get_metrics", event={"shape": shape})

    assert (failed.kind, failed.words) == ("garbage", f"The connector's output is unusable: {detail}.")


def test_a_module_that_cannot_be_found_is_an_error():
    failed = fail("nowhere")

    assert failed.kind == "error"
    assert failed.words == f"ModuleNotFoundError: No module named '{PACKAGE}.nowhere'"


def test_a_module_without_the_handler_is_an_error():
    failed = fail("nosy", handler="get_metrics")

    assert failed.words == "AttributeError: the connector module has no get_metrics()"
