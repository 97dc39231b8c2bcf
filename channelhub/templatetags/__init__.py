"""Template tags of the back office (`channelhub_queues`: the staff queues on the first page)."""
