"""Writers with the partner-guide check on and off: transaction sets a second, and the ratio.

Run by hand, never in the tests::

    .venv/bin/python bench/guide_bench.py            # 3,000 documents of each kind, median of 5 runs
    .venv/bin/python bench/guide_bench.py --quick    # 1,000 documents, 1 run
    .venv/bin/python bench/guide_bench.py --compare 671e566   # also the check as it was at a git revision

The documents and writers are ``x12_bench``'s (its ``make_order`` and ``WRITERS``: build_XXX +
``write_interchange``), 500 sets to an interchange as there (``--per 1``: one, as the hub sends them). "on" adds
``check_interchanges`` of each interchange against a guide with rules for that set: the shipped
``bigbox-4010`` (whose findings are built too, since today's writers miss some of what it requires) and a
guide of the same size whose rules all pass. ``--compare REV`` adds both guides checked by ``guide.py``,
``guide_check.py`` (and ``guide_table.py`` and ``guide_place.py``, where they exist) as they were at that
revision, taking turns with today's in the same runs: before and after under the same load. See bench/README.md
for the last results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import random
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml

from bench.x12_bench import DELIMS, SEED, WRITERS, make_order
from crossdock.core.guides import load_guide
from crossdock.mappings.x12.guide import guide_from_dict
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


Check = Callable[[bytes], object]  # a guide's check of one interchange
ROOT = Path(__file__).resolve().parent.parent
X12 = "crossdock/mappings/x12"


def at_revision(rev: str) -> tuple[Callable[[object, str], object], Callable[[object, bytes], object]]:
    """``guide_from_dict`` and ``check_interchanges`` as they were at a git revision, loaded under other names
    so today's modules stay as they are."""
    loaded: dict[str, types.ModuleType] = {}
    for name in ("guide", "guide_place", "guide_table", "guide_check"):
        shown = subprocess.run(["git", "show", f"{rev}:{X12}/{name}.py"], cwd=ROOT, capture_output=True, text=True)
        if shown.returncode != 0:
            continue  # guide_table.py and guide_place.py are newer than some revisions
        source = shown.stdout
        for other in loaded:
            source = source.replace(f"crossdock.mappings.x12.{other} ", f"bench_{other} ")
        module = types.ModuleType(f"bench_{name}")
        sys.modules[module.__name__] = module
        exec(compile(source, f"{rev}:{name}.py", "exec"), module.__dict__)
        loaded[name] = module
    return loaded["guide"].guide_from_dict, loaded["guide_check"].check_interchanges


def rates(orders: list[object], runs: int, guides: dict[str, Check | None], per: int) -> dict[str, dict[str, float]]:
    """Sets a second (CPU time, median of ``runs``) per writer and guide; the guides of one writer take turns
    within each run, so a machine busy with other work slows them alike."""
    created = dt.datetime(2024, 3, 1, 9, 30)
    out: dict[str, dict[str, float]] = {}
    for label, module, builder, fid, factory in WRITERS:
        build = getattr(importlib.import_module(f"crossdock.mappings.x12.{module}"), builder)
        docs = [factory(o) for o in orders]

        def run(
            check: Check | None, docs: list[object] = docs, build: Callable[..., object] = build, fid: str = fid
        ) -> float:
            began = time.process_time()
            for i in range(0, len(docs), per):
                sets = [build(doc, f"{j + 1:04d}") for j, doc in enumerate(docs[i : i + per])]
                ctl = i // per + 1
                env = Envelope("ZZ", "CROSSDOCK", "ZZ", "RETAILCO", ctl, ctl, fid, "004010", created=created)
                data = write_interchange(env, sets, DELIMS, newline=True)  # type: ignore[arg-type]
                if check is not None:
                    check(data)
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
    ap.add_argument("--compare", metavar="REV", help="also check with the guide modules of this git revision")
    args = ap.parse_args()
    n, runs = (1_000, 1) if args.quick else (3_000, 5)
    rng = random.Random(SEED + 1)
    orders = [make_order(rng, i, dt.date(2024, 3, 1)) for i in range(1, n + 1)]
    bigbox, passing = load_guide("bigbox-4010"), guide_from_dict(PASSING, "bench")
    checks: dict[str, Check | None] = {
        "off": None,
        "bigbox-4010": lambda data: check_interchanges(bigbox, data),
        "passing": lambda data: check_interchanges(passing, data),
    }
    if args.compare:
        old_guide, old_check = at_revision(args.compare)
        old_bigbox = old_guide(yaml.safe_load((ROOT / "crossdock/guides/bigbox-4010.yaml").read_text()), "bigbox-4010")
        old_passing = old_guide(PASSING, "bench")
        checks["bigbox-4010 before"] = lambda data: old_check(old_bigbox, data)
        checks["passing before"] = lambda data: old_check(old_passing, data)
    found = rates(orders, runs, checks, args.per)
    print(f"{n} documents each, {args.per} sets an interchange, CPU time, median of {runs}; sets a second")
    names = [name for name in checks if name != "off"]
    print(f"{'writer':<16} {'off':>8} " + " ".join(f"{name:>19} {'ratio':>6}" for name in names))
    for label, r in found.items():
        cells = " ".join(f"{r[name]:>19,.0f} {r[name] / r['off']:>6.2f}" for name in names)
        print(f"{label:<16} {r['off']:>8,.0f} {cells}")


if __name__ == "__main__":
    main()
