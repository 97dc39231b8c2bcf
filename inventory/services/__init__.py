"""The inventory app's services: sources (add, change, remove, with their secrets kept) and
passes (run now, dry run, confirm or discard a held pass). Each checks permissions and audits."""
