"""The sync engine (DESIGN.md section 2): streams, cursors, runs, bulk upsert, locks."""
