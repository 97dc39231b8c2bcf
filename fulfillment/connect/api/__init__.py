"""The Connect-shaped read API over the Connect mirror."""
