"""CMP inventory in the nflex connector format (a later issue): no models yet."""
