"""X12 interchanges gathered into files of several, for partners that take many interchanges in one file.

Each interchange keeps its own envelope and control numbers, so a partner's 997 is matched to each document
as before; only the number of files changes. A file sink gathers during a dispatch round and writes at its
flush, so the file is either whole or not there, and every document in it shares that outcome.
"""

from __future__ import annotations

from crossdock.connectors.base import X12_CONTENT_TYPE, Outbound


class Bundles:
    """The files of a round so far: each named after its first document, holding up to ``per_file``."""

    def __init__(self, per_file: int) -> None:
        self.per_file = per_file
        self._files: list[tuple[str, list[bytes]]] = []

    def takes(self, document: Outbound) -> bool:
        return self.per_file > 1 and document.content_type == X12_CONTENT_TYPE

    def add(self, document: Outbound) -> str:
        """Put the document in the open file, or start one; returns the name of its file."""
        files = self._files
        if not files or len(files[-1][1]) >= self.per_file:
            files.append((document.name, []))
        name, parts = files[-1]
        parts.append(document.data)
        return name

    def take(self) -> list[tuple[str, bytes]]:
        """The files gathered since the last take: each name with its bytes, the interchanges back to back."""
        files, self._files = self._files, []
        return [(name, b"".join(parts)) for name, parts in files]
