"""Tests of the connector runner (child processes running real connector modules)."""
