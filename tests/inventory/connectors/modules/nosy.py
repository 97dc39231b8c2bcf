"""A connector that looks around: the environment, Django, the CMP API (`event["look"]`)."""

import os


def _environment(event, context):
    return [
        {
            "id": "env",
            "type": "resource",
            "base": {"name": "environment"},
            "metadata": {"environ": dict(os.environ), "cwd": os.getcwd(), "pid": os.getpid()},
        }
    ]


def _django(event, context):
    import django  # noqa: F401, PLC0415 - the import must fail in the child

    return []


def _django_db(event, context):
    from django.db import connection  # noqa: F401, PLC0415 - the import must fail in the child

    return []


def _psycopg(event, context):
    import psycopg  # noqa: F401, PLC0415 - the import must fail in the child

    return []


def _api(event, context):
    context.api.get(path="/accounts")
    return []


def _call_file(event, context):
    names = {"workdir": sorted(os.listdir("..")), "io": sorted(os.listdir("../io"))}
    return [{"id": "ls", "type": "resource", "base": {"name": "listing"}, "metadata": names}]


LOOKS = {
    "environment": _environment,
    "django": _django,
    "django_db": _django_db,
    "psycopg": _psycopg,
    "api": _api,
    "call_file": _call_file,
}


def get(event, context):
    """Look where asked."""
    return LOOKS[event["look"]](event, context)
