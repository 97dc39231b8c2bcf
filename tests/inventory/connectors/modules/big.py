"""A connector returning `event["count"]` servers (50,000 in the streaming test)."""


def get(event, context):
    """Many small resources, built as dicts (as most real connectors do)."""
    return [
        {
            "id": f"server-{n:06d}",
            "type": "server",
            "base": {"name": f"Server {n}", "provider_created_at": "2017-02-04T00:00:00Z", "regions": []},
            "connections": {},
            "metadata": {"provider_specific": {"index": n, "padding": "p" * 200}},
            "details": {"server": {"cpu_cores": n % 64, "state": "running"}},
        }
        for n in range(event["count"])
    ]
