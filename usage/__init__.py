"""Connect usage files and records (a later issue): no models yet."""
