"""810 Invoice (functional group IN): the full ASC X12 standard structure, 004010 and 005010.

Header, detail (IT1 loop) and summary (TDS ... CTT) are flattened into one list in standard order, over the
shared loops of ``loops``. 005010 adds CRC to the header, a DTM loop under TXI and DTM under the summary SAC
loop, and unbounds SAC and TXI.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "IN"

LOCAL = {
    "SAC_TXI": """
SAC  M 1
TXI  O 10     @004010
USE TXI O >1  @005010
""",
    "TXI": """
TXI  M 1
DTM  O 1
""",
    "ISS": """
ISS  M 1
PID  O 1
""",
}

TEMPLATE = """
ST   M 1
BIG  M 1
NTE  O 100
CUR  O 1
REF  O 12
YNQ  O 10
PER  O 3
USE N1 O 200 | +DMG O 1
ITD  O >1
DTM  O 10
FOB  O 1
PID  O 200
MEA  O 40
PWK  O 25
PKG  O 25
L7   O 1
BAL  O >1
INC  O 1
PAM  O >1
CRC  O 1  @005010
USE LM_100 O 10
LOOP N9 O 1
  N9   M 1
  MSG  M 10
USE V1 O >1
USE FA1 O >1
LOOP IT1 O 200000
  IT1  M 1
  CRC  O 1
  QTY  O 5
  CUR  O 1
  IT3  O 5
  TXI  O 10  @004010
  TXI  O >1  @005010
  CTP  O 25
  PAM  O 10
  MEA  O 40
  USE PID O 1000
  PWK  O 25
  PKG  O 25
  PO4  O 1
  ITD  O 2
  REF  O >1
  YNQ  O 10
  PER  O 5
  SDQ  O 500
  DTM  O 10
  CAD  O >1
  L7   O >1
  SR   O 1
  USE SAC_TXI O 25  @004010
  USE SAC_TXI O >1  @005010
  LOOP SLN O 1000
    SLN  M 1
    DTM  O 1
    REF  O >1
    PID  O 1000
    SAC  O 25  @004010
    SAC  O >1  @005010
    TC2  O 2
    TXI  O 10  @004010
    TXI  O >1  @005010
  USE N1 O 200 | +DMG O 1
  USE LM_100 O 10
  USE V1 O >1
  USE FA1 O >1
USE ISS O >1  # Walmart-style 810s send ISS before TDS
TDS  M 1
TXI  O 10  @004010
TXI  O >1  @005010
CAD  O 1
AMT  O >1
USE SAC_TXI O 25  @004010
USE SAC_TXI O >1  @005010 | +DTM O >1 before TXI
USE ISS O >1
CTT  O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010", LOCAL)
STRUCTURE_005010 = structure(TEMPLATE, "005010", LOCAL)
