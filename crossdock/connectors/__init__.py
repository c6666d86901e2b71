"""Transports and APIs: each module one connector, knowing its protocol and never a document format."""
