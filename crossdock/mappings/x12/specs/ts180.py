"""180 Return Merchandise Authorization and Notification (functional group AN): the ASC X12 004010 structure.

Header (BGN, return reason, the PO reference, dates, references, contacts, the N1 loop), then one BLI loop per
returned item with its references, description, reason, PO reference, dates and a QTY loop, over the shared
loops of ``loops``. Only 004010 is
given: a 005010 180 is checked for its envelope only.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "AN"

TEMPLATE = """
ST   M 1
BGN  M 1
RDR  O 1
PRF  O 1
DTM  O 10
N9   O 10
PER  O 2
SAC  O 10
G38  O 1
PKG  O 5
TD1  O 10
TD5  O 10
NTE  O 5
USE N1_WH O 200
USE LM_100 O 10
LOOP BLI O >1
  BLI  M 1
  N9   O 20
  PID  O 5
  RDR  O 1
  SAC  O 10
  AMT  O >1
  MEA  O >1
  CRC  O >1
  NTE  O >1
  PRF  O 1
  DTM  O 15
  DD   O 100
  GF   O 1
  TD5  O 5
  SDQ  O 100
  USE LM_100 O 10
  USE N1_WH O 200
  LOOP QTY O >1
    QTY  M 1
    AMT  O 5
    DTM  O 10
    N1   O 1
    USE LM_100 O 10
    USE LX_WH O >1 | -G62; +DTM O 10 after N9
  USE FA1 O >1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
