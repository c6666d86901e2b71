"""945 Warehouse Shipping Advice (functional group SW): the full ASC X12 standard structure.

Header (W06, the mandatory N1 loop, references, W27 carrier detail), the LX detail loop holding the W12
line loops, and the W03 total, over the shared loops of ``loops``. 005010 adds TD1 to the header and turns the
W12 N1 into a loop.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "SW"

TEMPLATE = """
ST   M 1
W06  M 1
USE N1_WH M 10 | N2 O 1
N9   O 10
G61  O 3
G62  O 5
NTE  O 20
W27  O 1
W6   O 1
W28  O 1
W10  O 10
G72  O 5
TD1  O 5  @005010
USE LM_100 O 10
LOOP LX M >1
  LX   M 1
  MAN  O >1
  PAL  O 1
  N9   O 5
  LOOP W12 M >1
    W12  M 1
    G69  O 5
    N9   O 200
    G62  O 10
    QTY  O 10
    MEA  O 5
    AMT  O 1
    R4   O 5
    W27  O 1
    N1   O 5  @004010
    USE N1_WH O >1 @005010 | N2 O 1; N3 O 1; PER O 1
    G72  O 5
    USE LM_100 O 10
    LOOP LS O 1
      LS   M 1
      USE LX_WH M >1
      LE   M 1
    USE FA1 O >1
W03  O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = structure(TEMPLATE, "005010")
