"""846 Inventory Inquiry/Advice (functional group IB): the full ASC X12 standard structure.

The structure is the same in 004010 and 005010: header, the LIN detail loop (with its QTY loop and the
LS/LE-bounded REF loop), and CTT, over the shared loops of ``loops``.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "IB"

TEMPLATE = """
ST   M 1
BIA  M 1
CUR  O 1
DTM  O 10
REF  O 12
PER  O 3
MEA  O 20
USE N1 O 5
USE LM_100 O 10
LOOP LIN M 10000
  LIN  M 1
  PID  O 200
  MEA  O 40
  PKG  O 25
  DTM  O 10
  CTP  O 25
  CUR  O 1
  SAC  O 25
  REF  O >1
  PER  O 3
  SDQ  O 500
  MAN  O 1
  UIT  O 5
  CS   O 1
  DD   O >1
  G53  O 1
  PCT  O >1
  LDT  O 12
  USE LM_100 O 10
  LOOP SLN O 1000
    SLN  M 1
    PID  O 200
    MEA  O 40
    PKG  O 25
    LOOP MAN O 100
      MAN  M 1
      MEA  O 40
  LOOP QTY O 99
    QTY  M 1
    UIT  O 12
    MEA  O 25
    LDT  O 12
    DTM  O 10
    LOOP SCH O 25
      SCH  M 1
      MEA  O 25
    USE LM_100 O >1
    LOOP LS O 1
      LS   M 1
      LOOP REF M >1
        REF  M 1
        DTM  O >1
        N1   O 1
        USE LM_100 O 10
      LE   M 1
  USE N1 O 200
CTT  O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = STRUCTURE_004010
