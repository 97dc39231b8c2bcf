"""Upstream HTTP clients, one module per upstream. Nothing else in channelhub speaks HTTP to one.

See DESIGN.md section 1. `errors` holds the exception hierarchy every client raises.
"""
