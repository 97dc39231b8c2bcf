"""A connector keeping a cursor in its state: each run resumes after the last one."""

from nflex_connector_utils import Server, serialize_list


def get(event, context):
    """Two servers after the cursor; the cursor moves on."""
    start = context.get_state("next", 0)
    runs = context.get_state("runs", default=0)
    context.update_state("next", start + 2)
    context.update_state("runs", runs + 1)
    context.log(f"resuming at {start}")
    return serialize_list([Server(id=f"server-{n}", name=f"Server {n}") for n in range(start, start + 2)])
