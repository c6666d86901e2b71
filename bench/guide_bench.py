"""Writers with the partner-guide check on and off: transaction sets a second, and the ratio.

Run by hand, never in the tests::

    .venv/bin/python bench/guide_bench.py            # 3,000 documents of each kind, median of 5 runs
    .venv/bin/python bench/guide_bench.py --quick    # 1,000 documents, 1 run

The documents and writers are ``x12_bench``'s (its ``make_order`` and ``WRITERS``: build_XXX +
``write_interchange``), 500 sets to an interchange as there (``--per 1``: one, as the hub sends them). "on" adds
``check_interchanges`` of each interchange against a guide with rules for that set: the shipped
``bigbox-4010`` (whose findings are built too, since today's writers miss some of what it requires) and a
guide of the same size whose rules all pass. See bench/README.md for the last results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.x12_bench import DELIMS, SEED, WRITERS, make_order
from crossdock.core.guides import load_guide
from crossdock.mappings.x12.guide import Guide, guide_from_dict
from crossdock.mappings.x12.guide_check import check_interchanges
from crossdock.mappings.x12.writer import Envelope, write_interchange

PASSING = {  # rules today's writers meet, in the same loops as the big-box guide's
    "name": "passing",
    "sets": {
        "850": [{"segment": "BEG", "use": "required", "elements": {3: {"use": "required"}}, "source": "bench"}],
        "855": [
            {"segment": "BAK", "use": "required", "elements": {3: {"use": "required"}}, "source": "bench"},
            {"segment": "ACK", "in": "PO1", "use": "required", "elements": {1: {"codes": ["IA"]}}, "source": "bench"},
        ],
        "856": [
            {"segment": "BSN", "use": "required", "elements": {2: {"max_length": 30}}, "source": "bench"},
            {"segment": "PRF", "in": "HL[O]", "use": "required", "source": "bench"},
            {"segment": "MAN*GM", "in": "HL[P]", "use": "required", "source": "bench"},
            {"segment": "LIN", "in": "HL[I]", "use": "required", "source": "bench"},
        ],
        "810": [
            {"segment": "BIG", "use": "required", "source": "bench"},
            {"segment": "IT1", "in": "", "elements": {2: {"use": "required"}}, "source": "bench"},
        ],
    },
}


def rates(orders: list[object], runs: int, guides: dict[str, Guide | None], per: int) -> dict[str, dict[str, float]]:
    """Sets a second (CPU time, median of ``runs``) per writer and guide; the guides of one writer take turns
    within each run, so a machine busy with other work slows them alike."""
    created = dt.datetime(2024, 3, 1, 9, 30)
    out: dict[str, dict[str, float]] = {}
    for label, module, builder, fid, factory in WRITERS:
        build = getattr(importlib.import_module(f"crossdock.mappings.x12.{module}"), builder)
        docs = [factory(o) for o in orders]

        def run(
            guide: Guide | None, docs: list[object] = docs, build: Callable[..., object] = build, fid: str = fid
        ) -> float:
            began = time.process_time()
            for i in range(0, len(docs), per):
                sets = [build(doc, f"{j + 1:04d}") for j, doc in enumerate(docs[i : i + per])]
                ctl = i // per + 1
                env = Envelope("ZZ", "CROSSDOCK", "ZZ", "RETAILCO", ctl, ctl, fid, "004010", created=created)
                data = write_interchange(env, sets, DELIMS, newline=True)  # type: ignore[arg-type]
                if guide is not None:
                    check_interchanges(guide, data)
            return time.process_time() - began

        gc.collect()
        gc.freeze()
        try:
            for guide in guides.values():
                run(guide)  # warm: specs parsed, state machines and rule indexes built
            times: dict[str, list[float]] = {name: [] for name in guides}
            for _ in range(runs):
                for name, guide in guides.items():
                    times[name].append(run(guide))
        finally:
            gc.unfreeze()
        out[label] = {name: len(docs) / statistics.median(t) for name, t in times.items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--per", type=int, default=500, help="sets to an interchange (x12_bench: 500; the hub: 1)")
    args = ap.parse_args()
    n, runs = (1_000, 1) if args.quick else (3_000, 5)
    rng = random.Random(SEED + 1)
    orders = [make_order(rng, i, dt.date(2024, 3, 1)) for i in range(1, n + 1)]
    guides = {"off": None, "bigbox-4010": load_guide("bigbox-4010"), "passing": guide_from_dict(PASSING, "bench")}
    found = rates(orders, runs, guides, args.per)
    print(f"{n} documents each, {args.per} sets an interchange, CPU time, median of {runs}; sets a second")
    print(f"{'writer':<16} {'off':>8} {'bigbox-4010':>12} {'ratio':>6} {'passing':>8} {'ratio':>6}")
    for label, r in found.items():
        a, b, c = r["off"], r["bigbox-4010"], r["passing"]
        print(f"{label:<16} {a:>8,.0f} {b:>12,.0f} {b / a:>6.2f} {c:>8,.0f} {c / a:>6.2f}")


if __name__ == "__main__":
    main()
