"""The ground every fault test stands on: what a run must have left behind, whatever was done to it.

After the faults stop and crossdock has finished, ``check_ground`` asserts the laws of the house against the
store and against what the destinations saw: every PO once in the store and delivered to both of its sinks
(no order lost, none doubled), every inbound file stored once, and the 997s and 855s sent to the partner
numbered ISA13, GS06 and ST02 without a gap or a repeat, as the store's sequences say. It returns what the
faults cost (sends repeated under the same idempotency key, files written again under the same name) for
the test to bound by the faults it dealt.

The folder sinks are read by a ``Picker``, as a warehouse's system reads its drop folder: each complete
file is taken away as soon as it appears, so a file written again after a fault is seen again, as the
warehouse would see it.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from crossdock.core.storage.schema import deliveries, documents, orders, sequences
from crossdock.core.storage.store import Store
from crossdock.mappings.x12.reader import parse
from tests.faults.hook import Hook

PARTNER = "northwind"
FOLDER_SINK = "wms-files"
HTTP_SINK = "wms-hook"


class Picker:
    """Takes every complete file out of ``folders`` every few milliseconds, counting each name it takes and
    keeping its last bytes. Temporary files (a leading dot, ``.part``) are left to their writer."""

    def __init__(self, folders: dict[str, Path], into: Path) -> None:
        self.folders = folders
        self.into = into
        self.taken: dict[str, Counter[str]] = {name: Counter() for name in folders}
        self.data: dict[str, dict[str, bytes]] = {name: {} for name in folders}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="picker", daemon=True)

    def __enter__(self) -> Picker:
        for folder in self.folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sweep()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.sweep()

    def sweep(self) -> None:
        for sink, folder in self.folders.items():
            for path in sorted(folder.iterdir()):
                name = path.name
                if name.startswith(".") or name.endswith(".part") or not path.is_file():
                    continue
                n = self.taken[sink][name]
                target = self.into / sink / f"{name}.{n}"
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.move(path, target)
                except FileNotFoundError:
                    continue
                self.taken[sink][name] += 1
                self.data[sink][name] = target.read_bytes()

    def rewrites(self, sink: str) -> int:
        """Files taken again under a name already taken: a destination would have read them twice."""
        taken = self.taken[sink]
        return sum(taken.values()) - len(taken)


@dataclass
class Cost:
    """What the faults cost the destinations: sends and files repeated, never lost ones."""

    http_repeats: int
    file_rewrites: int
    answer_rewrites: int
    repeated_keys: list[str]


def check_ground(store: Store, pos: list[str], files: list[str], picker: Picker, hook: Hook, inbox: str) -> Cost:
    """Assert the laws after a run: ``pos`` were sent in ``files`` (one each), each order split between the
    folder sink and the web ``hook``, the partner's answers taken from ``inbox``."""
    with store.transaction() as conn:
        stored = Counter(conn.execute(select(orders.c.po_number)).scalars())
        inbound = conn.execute(
            select(documents.c.remote_name, documents.c.state).where(documents.c.direction == "in")
        ).all()
        sent = conn.execute(
            select(
                deliveries.c.key,
                deliveries.c.sink,
                deliveries.c.purpose,
                deliveries.c.state,
                orders.c.po_number,
                documents.c.remote_name,
            )
            .join(documents, documents.c.id == deliveries.c.document_id)
            .outerjoin(orders, orders.c.id == deliveries.c.order_id)
        ).all()
        numbers = {
            r.kind: int(r.value) for r in conn.execute(select(sequences).where(sequences.c.scope == PARTNER)).all()
        }

    lost = sorted(set(pos) - set(stored))
    doubled = sorted(po for po, n in stored.items() if n > 1)
    assert not lost and not doubled and set(stored) == set(pos), f"orders lost {lost}, doubled {doubled}"
    names = Counter(r.remote_name for r in inbound)
    assert names == Counter(files), f"inbound files stored once each: {names - Counter(files)}"
    assert {r.state for r in inbound} == {"processed"}, Counter(r.state for r in inbound)
    assert Counter(r.state for r in sent) == Counter({"sent": len(sent)}), Counter(r.state for r in sent)

    by_sink: dict[str, Counter[str]] = {}
    for r in sent:
        if r.purpose == "order":
            by_sink.setdefault(r.sink, Counter())[r.po_number] += 1
    for sink in (FOLDER_SINK, HTTP_SINK):
        assert by_sink.get(sink) == Counter(pos), f"one delivery of each order to {sink}"

    order_files = {r.remote_name: r.po_number for r in sent if r.sink == FOLDER_SINK}
    assert set(picker.taken[FOLDER_SINK]) == set(order_files), "every order file delivered, under its one name"
    for name, po in order_files.items():
        assert json.loads(picker.data[FOLDER_SINK][name])["po_number"] == po, name

    keys = hook.keys()
    wanted = {r.key: r.po_number for r in sent if r.sink == HTTP_SINK}
    assert set(keys) == set(wanted), f"extra keys {set(keys) - set(wanted)}, unsent {set(wanted) - set(keys)}"
    with hook.lock:
        wrong = [(p.key, p.po_number, wanted[p.key]) for p in hook.posts if p.po_number != wanted[p.key]]
    assert not wrong, f"keys that carried another order: {wrong[:5]}"

    answers = [r for r in sent if r.purpose in ("997", "855")]
    assert Counter(r.purpose for r in answers) == Counter({"997": len(files), "855": len(pos)})
    assert set(picker.taken[inbox]) == {r.remote_name for r in answers}, "every 997 and 855 reached the partner"
    controls = _controls(picker.data[inbox].values())
    for kind, seen in controls.items():
        assert sorted(seen) == list(range(1, len(answers) + 1)), f"{kind} numbers reused or skipped: {sorted(seen)}"
        assert numbers.get(kind) == len(answers), f"the {kind} sequence handed out numbers never sent: {numbers}"
    repeated = sorted(k for k, n in keys.items() if n > 1)
    return Cost(hook.repeats(), picker.rewrites(FOLDER_SINK), picker.rewrites(inbox), repeated)


def _controls(files: Iterable[bytes]) -> dict[str, list[int]]:
    """ISA13, GS06 and ST02 of every interchange in ``files``."""
    seen: dict[str, list[int]] = {"isa": [], "gs": [], "st": []}
    for data in files:
        for interchange in parse(data):
            seen["isa"].append(int(interchange.control))
            for group in interchange.groups:
                seen["gs"].append(int(group.control))
                seen["st"].extend(int(t.control) for t in group.transactions)
    return seen
