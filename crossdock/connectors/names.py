"""One file name, one delivery: the names a file sink writes in a dispatch round.

Each delivery comes with a name of its own for good, unique per sink (``core/storage/delivery_names.py`` keeps them in
the store). What is left to a sink: a name two deliveries of a round still share (a sink used without the store,
or two sinks writing one folder), and, for a sink that can see its folder, a file of that name already there
with other bytes that crossdock did not write for this delivery. Then the document is written under that name
with a short suffix from its own idempotency key (``A_1-r1--3f2a1c0d.json``), stable for that delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from crossdock.core.storage.delivery_names import keyed_name


def _candidates(name: str, key: str) -> Iterator[str]:
    yield name
    for length in (8, 16, len(key)):
        yield keyed_name(name, key, length)


class RoundNames:
    """The names written since the sink's last flush, each with the delivery (idempotency key) it holds. A sink
    that uploads as it goes is never flushed: it remembers its last ``remembered`` names instead."""

    def __init__(self, remembered: int = 10_000) -> None:
        self._held: dict[str, str] = {}
        self.remembered = remembered

    def claim(self, name: str, key: str, elsewhere: Callable[[str], bool] = lambda _: False) -> str:
        """The name to write the delivery ``key`` under: ``name`` when it is free or already this delivery's,
        else a keyed name (longer key parts if even that is taken). ``elsewhere(name)`` says whether a file of
        that name, with other bytes, is already where the sink writes."""
        for candidate in _candidates(name, key):  # the keyed ones made only when the name itself is taken
            holder = self._held.get(candidate)
            if holder == key or (holder is None and not elsewhere(candidate)):
                chosen = candidate
                break
        else:
            chosen = keyed_name(name, key, len(key))  # the whole key is this delivery's alone
        self._held.pop(chosen, None)
        self._held[chosen] = key
        while len(self._held) > self.remembered:
            del self._held[next(iter(self._held))]
        return chosen

    def clear(self) -> None:
        self._held.clear()
