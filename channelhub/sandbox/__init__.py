"""Fake upstreams on loopback (Connect, Cloud Channel) for the demo and the tests; imports no Django and
nothing else of channelhub. See docs/sandbox.md."""
