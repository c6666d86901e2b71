"""The test data travels with the repository: every file the tests read is in ``tests/data`` with its source and
licence, and nothing reads a folder beside the clone."""

from __future__ import annotations

import hashlib
import re

from tests.conftest import CORPUS, FIXTURES, ROOT, corpus_entries


def test_every_corpus_file_is_in_the_manifest_with_its_bytes_and_licence() -> None:
    entries = corpus_entries()
    assert len(entries) == 134
    listed = {e["file"] for e in entries}
    on_disk = {p.relative_to(CORPUS).as_posix() for p in (CORPUS / "x12").rglob("*") if p.is_file()}
    assert on_disk == listed
    licences = {p.name.split("__")[0] + "/" + p.name.split("__")[1] for p in (CORPUS / "licenses").iterdir()}
    for entry in entries:
        assert hashlib.sha256((CORPUS / entry["file"]).read_bytes()).hexdigest() == entry["sha256"], entry["file"]
        assert entry["repo"] in licences, f"{entry['file']}: no licence text for {entry['repo']}"


def test_every_fixture_is_named_in_its_sources() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text()
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and p.parent.name != "LICENSES" and p.name != "SOURCES.md"]
    assert files
    missing = [p.relative_to(FIXTURES).as_posix() for p in files if p.relative_to(FIXTURES).as_posix() not in sources]
    assert missing == []


THIS = __file__.rsplit("/", 1)[-1]


def test_nothing_reads_a_folder_beside_the_clone() -> None:
    pattern = re.compile(r"""\.\./shared|parent / "shared"|"shared" /""")
    readers = [p for d in ("tests", "scripts", "bench", ".ci", "crossdock") for p in (ROOT / d).rglob("*")]
    hits = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in readers
        if p.is_file() and p.suffix in {".py", ""} and "data" not in p.relative_to(ROOT).parts and p.name != THIS
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if pattern.search(line) and not _is_prose(line)
    ]
    assert hits == []


def _is_prose(line: str) -> bool:
    """Docstrings may cite the team's fact sheets (``../shared/docs/...``); code may not open them."""
    return "shared/docs/" in line


def test_the_lock_pins_every_package() -> None:
    lines = [ln.split("#")[0].strip() for ln in (ROOT / "requirements" / "dev.txt").read_text().splitlines()]
    pins = [ln for ln in lines if ln]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.+!-]*", p) for p in pins), pins
    names = {p.split("==")[0].lower() for p in pins}
    assert {"cryptography", "mypy", "ruff", "pytest", "pydantic", "setuptools"} <= names
