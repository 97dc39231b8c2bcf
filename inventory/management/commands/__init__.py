"""`inventory_source`: sources from the shell."""
