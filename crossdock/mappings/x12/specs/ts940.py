"""940 Warehouse Shipping Order (functional group OW): the full ASC X12 standard structure.

Header (W05, N1 loop, references and carrier details), the LX detail loop holding the W01 line loops, and
the W76 total, over the shared loops of ``loops``. 005010 adds the TD3/AT9 loop, N9 under LX, an N1 loop under
W01 and raises W6 to 5.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "OW"

TEMPLATE = """
ST   M 1
W05  M 1
USE N1_WH O 10
N9   O 10
G61  O 3
G62  O 10
NTE  O >1
W09  O 1
W66  O 1
W6   O 1  @004010
W6   O 5  @005010
R2   O 13
BNX  O 1
LOOP TD3 O 1  @005010
  TD3  M 1
  AT9  O 1
USE LM_100 O 10
LOOP LX M >1
  LX   M 1
  MAN  O >1
  SDQ  O >1
  N1   O 1
  G62  O 10
  N9   O >1  @005010
  LOOP W01 M >1
    W01  M 1
    G69  O 5
    N9   O 200
    NTE  O >1
    W20  O 3
    QTY  O 10
    AMT  O 1   @004010
    AMT  O >1  @005010
    G62  O 10
    G66  O 1
    N1   O 3  @004010
    USE N1_WH O >1 @005010 | N2 O 1; N3 O 1
    PER  O 5  @004010
    LH2  O 6
    LHR  O 1
    LH6  O 5
    USE LM_100 O 10
    LOOP LS O 1
      LS   M 1
      USE LX_WH M >1 | +SDQ O >1 after N1; +USE LH1 O >1
      LE   M 1
    USE FA1 O >1
W76  O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = structure(TEMPLATE, "005010")
