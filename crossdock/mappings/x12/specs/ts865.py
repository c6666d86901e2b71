"""865 Purchase Order Change Acknowledgment/Request - Seller Initiated (functional group CA).

The 865 is the 860's counterpart and the standard gives it the 860's tables: the header begins with BCA instead
of BCH, and each POC loop carries the seller's answer to that change as an ACK loop (ACK, with its DTM), placed
before the loop's quantity (QTY) loops as in the 855's PO1 loop. Built from ``ts860`` so the two never drift.
"""

from crossdock.mappings.x12.specs import ts860
from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "CA"

TEMPLATE = f"""
ST   M 1
BCA  M 1
{ts860.HEADER}
USE POC O >1 | +USE ACK O 104 before QTY
USE CTT O 1 | AMT O 5
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010", {"POC": ts860.POC})
STRUCTURE_005010 = structure(TEMPLATE, "005010", {"POC": ts860.POC})
