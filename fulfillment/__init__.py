"""The fulfillment domain app: the CloudBlue Connect and Google Cloud Channel mirrors, their staff
actions and their API."""
