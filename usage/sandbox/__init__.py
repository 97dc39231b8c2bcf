"""The fake Connect usage and subscriptions upstream, served by the sandbox (imports no Django)."""
