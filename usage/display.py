"""Words and badges of the usage app, and its staff queues on the back office's first page."""

QUEUES: tuple = ()
