"""855 Purchase Order Acknowledgment (functional group PR): the full ASC X12 standard structure.

Header, detail and summary tables are flattened into one list in standard order, over the shared loops and groups
of ``loops``. 005010 replaces MSG with MTX, adds IN2 to the N1 loops, PWK/EFI to the N9 loops and MEA to the SLN
loop. Unlike the 850 and 860, whose 005010 header turns LDT into a loop (LDT, QTY, MTX, REF), the 855 keeps the
header LDT a plain segment (O 12) in both versions, as the 005010 855 table has it (checked against two independent
005010 855 definitions).
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "PR"

TEMPLATE = """
ST   M 1
BAK  M 1
WITH PO_HEADER | CSH O 1; PKG O 25
MAN  O 10
TXI  O >1
CTB  O >1
USE N9 O 1000
USE N1_PARTY O 200 | N4 O 1; PKG O 25; +MSG O >1 @004010; +MTX O >1 @005010
USE ADV O >1
LOOP PO1 O 100000
  PO1  M 1
  LIN  O >1
  SI   O >1
  CUR  O 1
  PO3  O 25
  CTP  O >1
  PAM  O 10
  MEA  O 40
  USE PID O 1000
  PWK  O 25
  PO4  O >1
  REF  O >1
  PER  O 3
  USE SAC O 25
  IT8  O 1
  CSH  O >1
  ITD  O 2
  DIS  O 20
  INC  O 1
  TAX  O >1
  FOB  O >1
  SDQ  O 500
  DTM  O 10
  LDT  O 12
  TD1  O 1
  TD5  O 12
  TD3  O 12
  TD4  O 5
  USE ACK O 104
  MAN  O 10
  AMT  O 1
  CTB  O >1
  TXI  O >1
  USE QTY O >1
  USE PKG O 200
  USE SCH O 200
  USE N9 O 1000
  USE N1_LINE O 200 | -QTY; +QTY O >1 after TD4; PKG O 25; -LDT
  LOOP SLN O 1000
    SLN  M 1
    MSG  O >1  @004010
    MTX  O >1  @005010
    SI   O >1
    PID  O 1000
    PO3  O 25
    MEA  O >1  @005010
    CTP  O 25
    PAM  O 10
    ACK  O 104
    USE SAC O 10
    DTM  O 10
    PO4  O 1
    TAX  O 3
    ADV  O >1
    USE QTY O >1
    USE N9_SLN O >1
    USE N1_SLN O 10
USE CTT O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = structure(TEMPLATE, "005010")
