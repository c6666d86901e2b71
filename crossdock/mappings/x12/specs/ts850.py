"""850 Purchase Order (functional group PO): the full ASC X12 standard structure, 004010 and 005010.

Header, detail and summary tables are flattened into one list in standard order, over the shared loops and groups
of ``loops`` (the header's are the 855's and 860's). 005010 replaces MSG with MTX, turns the header LDT into a
loop, lets the header TD5 repeat, and adds IN2 to the N1 loops, PWK/EFI to the N9 loops and MEA to the SLN loop.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "PO"

TEMPLATE = """
ST   M 1
BEG  M 1
WITH PO_HEADER | +TC2 O >1 before SAC; ITD O >1; -LDT @005010; TD5 O >1 @005010
MAN  O 10
PCT  O >1
CTB  O 5
TXI  O >1
WITH PO_PARTIES
LOOP PO1 O 100000  # the standard says M; an 850 without lines is accepted and warned about
  PO1  M 1
  LIN  O >1
  SI   O >1
  CUR  O 1
  CN1  O 1
  PO3  O 25
  USE CTP O >1
  PAM  O 10
  MEA  O 40
  USE PID O 1000
  PWK  O 25
  PO4  O >1
  REF  O >1
  PER  O 3
  USE SAC O 25 | +CTP O 1
  IT8  O 1
  CSH  O >1
  ITD  O 2
  DIS  O 20
  INC  O 1
  TAX  O >1
  FOB  O >1
  SDQ  O 500
  IT3  O 5
  DTM  O 10
  TC2  O >1
  TD1  O 1
  TD5  O 12
  TD3  O 12
  TD4  O 5
  PCT  O >1
  MAN  O 10
  MSG  O >1  @004010
  MTX  O >1  @005010
  SPI  O >1
  TXI  O >1
  CTB  O >1
  USE QTY O >1
  USE SCH O 200
  USE PKG O 200
  USE LS O 1
  USE N9 O 1000 | +MEA O 40 after DTM
  USE N1_LINE O 200
  LOOP SLN O 1000
    SLN  M 1
    MSG  O >1  @004010
    MTX  O >1  @005010
    SI   O >1
    PID  O 1000
    PO3  O 104
    MEA  O >1  @005010
    TC2  O >1
    ADV  O >1
    DTM  O 10
    CTP  O 25
    PAM  O 10
    PO4  O 1
    TAX  O 3
    USE N9_SLN O >1
    USE SAC O 25 | +CTP O 1
    USE QTY O >1
    USE N1_SLN O 10
  USE AMT_LINE O >1
  USE LM O >1
USE CTT O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = structure(TEMPLATE, "005010")
