"""The core's management commands: the engine's, the outbox's, tokens, the worker, the sandbox, the demo."""
