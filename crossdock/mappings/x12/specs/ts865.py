"""865 Purchase Order Change Acknowledgment/Request - Seller Initiated (functional group CA).

The 865 is the 860's counterpart and the standard gives it the 860's tables: the header begins with BCA instead
of BCH, and each POC loop carries the seller's answer to that change as an ACK loop (ACK, with its DTM), placed
before the loop's quantity (QTY) loops as in the 855's PO1 loop. Built from ``ts860`` so the two never drift.
"""

from crossdock.mappings.x12.specs import ts860

FUNCTIONAL_ID = "CA"

_ACK_LOOP = "  LOOP ACK O 104\n    ACK  M 1\n    DTM  O 1\n"
_BEFORE = "  LOOP QTY O >1\n"


def _from_860(structure: str) -> str:
    header = structure.replace("\nBCH  M 1\n", "\nBCA  M 1\n", 1)
    poc = header.index("\n  POC  M 1\n")
    at = header.index(_BEFORE, poc)
    return header[:at] + _ACK_LOOP + header[at:]


STRUCTURE_004010 = _from_860(ts860.STRUCTURE_004010)
STRUCTURE_005010 = _from_860(ts860.STRUCTURE_005010)
