"""Fixtures for the real loopback peers started by scripts/peers (filled in with the connectors)."""
