"""860 Purchase Order Change Request - Buyer Initiated (functional group PC): full ASC X12 standard structure.

Header, detail (POC loop) and summary (CTT loop) flattened into one list in standard order, over the shared loops
and groups of ``loops``. 005010 replaces MSG with MTX, turns the header LDT into a loop, adds IN2, PWK/EFI under
N9, MEA under SLN and REF under SCH. ``HEADER`` (what follows BCH) and the ``POC`` loop are the 865's too.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "PC"

HEADER = """
WITH PO_HEADER | -LDT @005010
CTB  O >1
MAN  O 10
G53  O >1
TXI  O >1
PCT  O >1
WITH PO_PARTIES
"""

POC = """
POC  M 1
LIN  O >1
SI   O >1
CUR  O 1
CN1  O 1
PO3  O 25
CTP  O >1
PAM  O 10
MEA  O 40
USE PID O 1000
PWK  O 25
PKG  O 200
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
TD1  O 1
TD5  O 12
TD3  O 12
TD4  O 5
MAN  O 10
PCT  O >1
TC2  O 2
CTB  O >1
TXI  O >1
SPI  O >1
MSG  O >1  @004010
MTX  O >1  @005010
USE QTY O >1
USE SCH O 200 | -REF @004010
USE N9 O 1000
USE LS O 1
USE N1_LINE O 200
LOOP SLN O 1000
  SLN  M 1
  MSG  O >1  @004010
  MTX  O >1  @005010
  SI   O >1
  PID  O 1000
  PO3  O 104
  MEA  O >1  @005010
  TC2  O 2
  USE SAC O 10
  DTM  O 10
  CTP  O 25
  PAM  O 10
  PO4  O 1
  TAX  O 3
  ADV  O >1
  USE QTY O >1
  USE N9_SLN O >1
  USE N1_SLN O 10
USE AMT_LINE O >1
USE LM O >1
"""

TEMPLATE = f"""
ST   M 1
BCH  M 1
{HEADER}
USE POC O >1
USE CTT O 1 | AMT O 5
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010", {"POC": POC})
STRUCTURE_005010 = structure(TEMPLATE, "005010", {"POC": POC})
