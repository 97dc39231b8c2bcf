"""The read API's plumbing shared by the apps: authentication, tokens, permissions, pagination,
RQL limits, the statement timeout and the router (each app mounts its own viewsets).
"""
