"""What an operator watches: Prometheus metrics (`metrics`), JSON log lines carrying the ids of
what they belong to (`logs`), and the middleware that gives each request its id and its latency
(`middleware`). See docs/operations.md, "Metrics and logs"."""
