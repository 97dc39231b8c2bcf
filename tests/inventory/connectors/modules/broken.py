"""A connector that fails in the ways a process can: as `event["how"]` says."""

import os
import resource
import subprocess
import sys
import time


def _value_error(event, context):
    context.update_state("cursor", "before-the-error")
    raise ValueError(f"cannot parse the answer for account {event.get('account_id')}")


def _hang(event, context):
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    context.log(f"pids {os.getpid()} {helper.pid}")
    while True:
        time.sleep(3600)


def _cpu(event, context):
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (1, hard))  # reach the CPU backstop before the wall clock
    while True:  # CPU-bound, never sleeps
        pass


def _memory(event, context):
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


def _exit(event, context):
    print("about to exit")
    os._exit(3)


def _kill(event, context):
    context.log("about to be killed")
    os.kill(os.getpid(), 9)


def _sys_exit(event, context):
    sys.exit(4)


BEHAVIOURS = {
    "value_error": _value_error,
    "hang": _hang,
    "cpu": _cpu,
    "memory": _memory,
    "exit": _exit,
    "kill": _kill,
    "sys_exit": _sys_exit,
}


def get(event, context):
    """Fail as asked."""
    return BEHAVIOURS[event["how"]](event, context)
