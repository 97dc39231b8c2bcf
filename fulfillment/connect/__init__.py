"""CloudBlue Connect's corner of the fulfillment app."""
