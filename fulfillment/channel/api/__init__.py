"""The Cloud Channel mirror's read API under /api/v1/channel (docs/api.md, "Google Cloud Channel")."""
