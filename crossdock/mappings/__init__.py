"""Formats: bytes to canonical models and back. No I/O, no network."""
