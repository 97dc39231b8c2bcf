"""Connector modules that work: every nflex resource type, the library's example, flexer's
names, state across runs, metrics, and resources streamed from disk page by page."""

import gc
import json
import tracemalloc
from pathlib import Path

import pytest

from inventory.connectors.runner import ConnectorCall, run_connector
from tests.inventory.connectors.modules import PACKAGE

MODULES_DIR = Path(__file__).parent / "modules"


def call(name, **kwargs):
    kwargs.setdefault("time_limit", 20)
    kwargs.setdefault("memory_mb", 512)
    return ConnectorCall(f"{PACKAGE}.{name}", **kwargs)


def listing(connector_call, size=500):
    with run_connector(connector_call) as run:
        return run, [item for page in run.pages(size) for item in page]


def test_every_resource_type_of_the_library_comes_back_as_it_serialized_it():
    run, items = listing(call("all_types"))

    assert run.count == len(items) == 11
    by_id = {item["id"]: item for item in items}
    assert {item["type"] for item in items} == {
        "appliance",
        "network",
        "server",
        "volume",
        "service_offering",
        "compute_pool",
        "saas_user",
        "colo_space",
        "circuit",
        "account",
    }
    server = by_id["server-1"]
    assert server["base"]["provider_created_at"] == "2017-02-04T08:20:30.123456Z"  # +05:30 to UTC
    assert server["base"]["native_portal_link"] == "https://portal.example.com/server/server-1"
    assert server["base"]["locations"][0]["location"]["name"] == "DC Paris 1"
    assert "regions" not in server["base"]  # locations win over the region
    assert server["connections"] == {
        "compute_pool": [{"id": "cp-1"}],
        "appliance": [{"id": "appliance-1"}],
        "server": [{"id": "server-1"}],
        "network": [{"id": "network-1"}],
        "volume": [{"id": "volume-1"}],
    }
    assert server["metadata"] == {
        "provider_specific": {"key1": "value1"},
        "provider_metadata": {"tags": {"env": "prod"}},
        "default": {"owner": "ops"},
    }
    details = server["details"]["server"]
    assert details["ip_addresses"] == [
        {
            "ip_address": "10.0.0.5",
            "network": {"id": "network-1", "name": "Network 1"},
            "description": "private",
        },
        {"ip_address": "203.0.113.7", "description": "public"},
    ]
    assert details["image_detail"]["name"] == "Ubuntu 16.04 LTS"  # from the ImageDetailMap
    assert details["is_virtual"] is True and details["cpu_cores"] == 4
    assert by_id["server-2"]["details"]["server"]["image_detail"]["architecture"] == "arm64"
    assert by_id["volume-1"]["details"]["volume"] == {
        "encrypted": True,
        "iops": 3000,
        "size_b": 50 * 1024**3,
        "zone_name": "eu-west-1a",
    }
    assert by_id["appliance-1"]["details"] == {"appliance": {"type_id": "firewall"}}
    assert by_id["compute_pool-1"]["details"]["compute_pool"]["billing_tag"] == "pool-tag-1"
    assert by_id["saas_user-1"]["details"]["saas_user"]["email"] == "user@example.com"
    assert by_id["colo_space-1"]["details"]["colo_space"]["combination"] == "1234"
    assert by_id["circuit-1"]["details"]["circuit"]["endpoint_b"] == "London DC2"
    assert by_id["service_offering-1"]["details"] == {"service_offering": {"type_id": "database"}}
    account = by_id["account-1"]
    assert account["base"]["regions"] == [{"id": "eu-west-1"}] and "details" not in account
    assert run.value is None and run.state == {} and run.duration > 0


def test_the_librarys_full_example_runs_verbatim():
    run, items = listing(call("library_example"))

    assert [item["id"] for item in items] == [
        "appliance-1",
        "network-1",
        "server-1",
        "volume-1",
        "volume-2",
        "server-2",
    ]
    server = items[-1]
    assert server["base"]["provider_created_at"] == "2017-02-04T00:00:00Z"
    assert server["base"]["locations"][0]["city"] == {"name": "Paris"}
    assert server["connections"] == {"volume": [{"id": "volume-2"}], "network": [{"id": "network-1"}]}
    assert server["details"]["server"]["state"] == "stopped"
    assert items[4]["details"]["volume"]["size_b"] == 1024**4


def test_a_connector_given_as_a_file_path_runs():
    run, items = listing(ConnectorCall(str(MODULES_DIR / "all_types.py"), time_limit=20, memory_mb=512))

    assert run.count == 11 and items[0]["id"] == "appliance-1"


def test_get_and_flexers_get_resources_name_the_same_handler():
    _run, items = listing(call("library_example", handler="get_resources"))
    assert len(items) == 6

    run, items = listing(call("flexer_style", event={"task_id": "task-1", "account_id": "acc-1"}))

    assert [item["id"] for item in items] == ["network-1"]
    # nflex's Logger prints (module_id is None), set_task_percentage and Account.update stay local
    assert run.logs == [
        "info\tTarget(customer: ,account: acc-1, resource: None): listing networks",
        "MAIL (not sent, no CMP here): sync half done",
    ]


def test_state_written_by_one_run_is_passed_to_the_next():
    first, items = listing(call("stateful"))
    assert [item["id"] for item in items] == ["server-0", "server-1"]
    assert first.state == {"next": 2, "runs": 1}
    assert first.logs == ["INFO: resuming at 0"]

    second, items = listing(call("stateful", state=first.state))

    assert [item["id"] for item in items] == ["server-2", "server-3"]
    assert second.state == {"next": 4, "runs": 2}


def test_get_metrics_returns_its_value_in_memory():
    event = {"resource_id": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "poll_interval": 300}

    with run_connector(call("metrics", handler="get_metrics", event=event)) as run:
        assert list(run.pages()) == []
        value = run.value

    assert run.count == 2
    assert [(m["metric"], m["value"], m["unit"]) for m in value["metrics"]] == [
        ("cpu-usage", 42.0, "percent"),
        ("disk-state", 1.0, ""),
    ]
    assert isinstance(value["metrics"][0]["time"], str)  # a datetime, as isoformat
    assert value["last_update"].endswith("Z")
    assert run.logs[0].startswith("INFO: window ")


def test_get_metrics_may_return_a_bare_list_of_metrics():
    with run_connector(call("garbage", handler="get_metrics", event={"shape": "many"})) as run:
        assert run.count == 20 and run.value[0]["id"] == "r-0"


def test_dates_in_resources_are_written_as_isoformat_as_flexer_does():
    _run, items = listing(call("garbage", event={"shape": "dates"}))

    assert items[0]["base"]["provider_created_at"] == "2017-02-04T01:02:03"
    assert items[1]["metadata"] == {"day": "2020-01-31"}


def test_printing_junk_is_logs_not_garbage():
    token = "tok-printing-junk"
    run, items = listing(call("noisy", event={"credentials": {"token": token}}))

    assert [item["id"] for item in items] == ["r-1", "r-2"]
    assert run.logs[1] == "junk line 0 {not jsonjunk line 1 {not json"
    assert len(run.logs) == 501 and run.logs[-1].endswith("more log lines were not kept")


def test_fifty_thousand_resources_are_streamed_from_disk_in_pages():
    connector_call = call("big", event={"count": 50_000}, time_limit=60, memory_mb=1024)
    with run_connector(connector_call) as run:
        on_disk = (run.workdir / "io" / "resources.jsonl").stat().st_size
        sizes, last_id = [], ""
        tracemalloc.start()
        try:
            for page in run.pages(500):
                sizes.append(len(page))
                assert all(item["id"] > last_id for item in page)  # in order, none twice
                last_id = page[-1]["id"]
                del page
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert run.count == 50_000 and last_id == "server-049999"
    assert sizes == [500] * 100
    assert on_disk > 15_000_000  # the listing is ~20 MB as JSON, far more as dicts
    assert peak < 3_000_000, f"reading pages held {peak} bytes at its peak"


def test_pages_of_any_size_and_the_temp_dir_goes_at_close():
    with run_connector(call("all_types")) as run:
        assert [len(page) for page in run.pages(3)] == [3, 3, 3, 2]
        assert [len(page) for page in run.pages(100)] == [11]  # read again from disk
        with pytest.raises(ValueError, match="page size"):
            next(run.pages(0))
        workdir = run.workdir
        assert workdir.exists()
    assert not workdir.exists() and run.closed
    with pytest.raises(RuntimeError, match="closed"):
        next(run.pages())


def test_a_run_never_closed_is_cleaned_up_when_collected():
    run = run_connector(call("stateful"))
    workdir = run.workdir
    assert workdir.exists()
    del run
    gc.collect()
    assert not workdir.exists()


def test_resources_on_disk_are_one_json_object_a_line():
    with run_connector(call("library_example")) as run:
        lines = (run.workdir / "io" / "resources.jsonl").read_bytes().splitlines()
    assert len(lines) == 6
    assert json.loads(lines[0])["id"] == "appliance-1"
