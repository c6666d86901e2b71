"""The X12 engine: a streaming reader, validation against crossdock's specs, acknowledgments, writers
and the mappings between X12 transaction sets and the canonical models. No I/O beyond the bytes given."""
