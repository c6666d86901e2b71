"""X12 interchanges gathered into files of several, for partners that take many interchanges in one file.

Each interchange keeps its own envelope and control numbers, so a partner's 997 is matched to each document
as before; only the number of files changes. A file sink gathers during a dispatch round and writes at its
flush, so the file is either whole or not there, and every document in it shares that outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossdock.connectors.names import RoundNames
from crossdock.core.ports import X12_CONTENT_TYPE, Outbound


@dataclass(slots=True)
class Bundle:
    """One file of a round: its name, its bytes, and the idempotency keys of the documents it holds (they share
    its outcome)."""

    name: str
    data: bytes
    keys: list[str] = field(default_factory=list)


class Bundles:
    """The files of a round so far: each named after its first document, holding up to ``per_file``; a name another
    delivery of the round already holds gets the first document's key (``names``, shared with the sink)."""

    def __init__(self, per_file: int, names: RoundNames | None = None) -> None:
        self.per_file = per_file
        self.names = names or RoundNames()
        self._files: list[tuple[str, list[bytes], list[str]]] = []

    def takes(self, document: Outbound) -> bool:
        return self.per_file > 1 and document.content_type == X12_CONTENT_TYPE

    def add(self, document: Outbound) -> str:
        """Put the document in the open file, or start one; returns the name of its file."""
        files = self._files
        if not files or len(files[-1][1]) >= self.per_file:
            files.append((self.names.claim(document.name, document.idempotency_key), [], []))
        name, parts, keys = files[-1]
        parts.append(document.data)
        keys.append(document.idempotency_key)
        return name

    def take(self) -> list[Bundle]:
        """The files gathered since the last take, the interchanges of each back to back."""
        files, self._files = self._files, []
        return [Bundle(name, b"".join(parts), keys) for name, parts, keys in files]
