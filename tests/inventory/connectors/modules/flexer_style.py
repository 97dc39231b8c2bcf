"""A connector in flexer's style: get_resources only, nflex's Logger, Account.update, tasks, mail."""

from nflex_connector_utils import Account, Logger, Metadata, Network, serialize_list, set_task_percentage


def get_resources(event, context):
    """What a CMP connector does around its listing; none of it may reach a CMP API here."""
    logger = Logger(context, customer_id=event.get("customer_id", ""), account_id=event.get("account_id", ""))
    logger.info("listing networks")
    set_task_percentage(context, event.get("task_id"), 50)  # the runner drops task_id: no API call
    Account(id=event.get("account_id"), metadata=Metadata([("regions", ["eu-west-1"])])).update(
        context, event.get("account_id")
    )  # module_id is None: stays local
    context.mail(to="ops", subject="sync half done", message="secret body")
    context.set_response_header("x-thing", "1")
    return serialize_list([Network(id="network-1", name="Network 1")])
