"""A connector printing junk (even to fd 1 directly) and logging its token, then returning fine."""

import os
import sys
import warnings


def get(event, context):
    """Print a lot, log the token, return two resources."""
    token = event["credentials"]["token"]
    context.log(f"calling the provider with token {token}", severity="DEBUG")
    for n in range(2000):
        print(f"junk line {n} {{not json", end="\n" if n % 3 else "")
    print('{"ok": true, "count": 99}')
    sys.stderr.write("a warning on stderr\n")
    os.write(1, b"raw bytes on fd 1\n")
    warnings.warn("a library warning", stacklevel=1)
    return [
        {"id": "r-1", "type": "server", "base": {"name": "one"}},
        {"id": "r-2", "type": "network", "base": {"name": None}},
    ]


def get_resources(event, context):
    """flexer's name for the same handler; raises with the token in its message."""
    token = event["credentials"]["token"]
    context.log(f"token={token}")
    raise RuntimeError(f"the provider refused token {token}")
