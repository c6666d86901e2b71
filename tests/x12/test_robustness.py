"""Bad input never crashes the engine: mutated partner files end in findings or NotX12Error, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossdock.core.errors import NotX12Error
from crossdock.mappings.x12.ack import acknowledge
from crossdock.mappings.x12.documents import decode_file
from crossdock.mappings.x12.report import validate_file
from tests.conftest import CORPUS

SAMPLES = [
    (CORPUS / "x12" / name).read_bytes()
    for name in (
        "850/bots_mervyns_3po_crlf.edi",
        "856/oopfactory_jewelry-vics_s-o-p-i_man-gm-sscc.edi",
        "810/oopfactory_walmart-sample_sac-allowance.edi",
        "997/staedi_5010_repetition-in-ak3-ak4.edi",
        "860/hellooops_two-860_blank-lines.edi",
    )
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=20))]
    return bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_files_are_reported_not_crashed_on(data: bytes) -> None:
    result = validate_file(data, name="mutated.edi")
    if result.error is not None:
        assert result.interchanges == []
        return
    acknowledge(result, "997")
    acknowledge(result, "999")
    try:
        decode_file(data)
    except NotX12Error:
        raise AssertionError("validate read it, so decode must too") from None
