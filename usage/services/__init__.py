"""The usage app's services: each staff action between its target's prepare and record."""
