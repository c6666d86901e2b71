"""810 Invoice (functional group IN): the full ASC X12 standard structure, 004010 and 005010.

Header, detail (IT1 loop) and summary (TDS ... CTT) are flattened into one list in standard order. 005010
adds CRC to the header, a DTM loop under TXI and DTM under the summary SAC loop, and unbounds SAC.
"""

FUNCTIONAL_ID = "IN"

STRUCTURE_004010 = """
ST   M 1
BIG  M 1
NTE  O 100
CUR  O 1
REF  O 12
YNQ  O 10
PER  O 3
LOOP N1 O 200
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O 1
  REF  O 12
  PER  O 3
  DMG  O 1
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
LOOP LM O 10
  LM   M 1
  LQ   M 100
LOOP N9 O 1
  N9   M 1
  MSG  M 10
LOOP V1 O >1
  V1   M 1
  R4   O >1
  DTM  O >1
LOOP FA1 O >1
  FA1  M 1
  FA2  M >1
LOOP IT1 O 200000
  IT1  M 1
  CRC  O 1
  QTY  O 5
  CUR  O 1
  IT3  O 5
  TXI  O 10
  CTP  O 25
  PAM  O 10
  MEA  O 40
  LOOP PID O 1000
    PID  M 1
    MEA  O 10
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
  LOOP SAC O 25
    SAC  M 1
    TXI  O 10
  LOOP SLN O 1000
    SLN  M 1
    DTM  O 1
    REF  O >1
    PID  O 1000
    SAC  O 25
    TC2  O 2
    TXI  O 10
  LOOP N1 O 200
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O 1
    REF  O 12
    PER  O 3
    DMG  O 1
  LOOP LM O 10
    LM   M 1
    LQ   M 100
  LOOP V1 O >1
    V1   M 1
    R4   O >1
    DTM  O >1
  LOOP FA1 O >1
    FA1  M 1
    FA2  M >1
LOOP ISS O >1  # Walmart-style 810s send ISS before TDS
  ISS  M 1
  PID  O 1
TDS  M 1
TXI  O 10
CAD  O 1
AMT  O >1
LOOP SAC O 25
  SAC  M 1
  TXI  O 10
LOOP ISS O >1
  ISS  M 1
  PID  O 1
CTT  O 1
SE   M 1
"""

STRUCTURE_005010 = """
ST   M 1
BIG  M 1
NTE  O 100
CUR  O 1
REF  O 12
YNQ  O 10
PER  O 3
LOOP N1 O 200
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O 1
  REF  O 12
  PER  O 3
  DMG  O 1
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
CRC  O 1
LOOP LM O 10
  LM   M 1
  LQ   M 100
LOOP N9 O 1
  N9   M 1
  MSG  M 10
LOOP V1 O >1
  V1   M 1
  R4   O >1
  DTM  O >1
LOOP FA1 O >1
  FA1  M 1
  FA2  M >1
LOOP IT1 O 200000
  IT1  M 1
  CRC  O 1
  QTY  O 5
  CUR  O 1
  IT3  O 5
  TXI  O >1
  CTP  O 25
  PAM  O 10
  MEA  O 40
  LOOP PID O 1000
    PID  M 1
    MEA  O 10
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
  LOOP SAC O >1
    SAC  M 1
    LOOP TXI O >1
      TXI  M 1
      DTM  O 1
  LOOP SLN O 1000
    SLN  M 1
    DTM  O 1
    REF  O >1
    PID  O 1000
    SAC  O >1
    TC2  O 2
    TXI  O >1
  LOOP N1 O 200
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O 1
    REF  O 12
    PER  O 3
    DMG  O 1
  LOOP LM O 10
    LM   M 1
    LQ   M 100
  LOOP V1 O >1
    V1   M 1
    R4   O >1
    DTM  O >1
  LOOP FA1 O >1
    FA1  M 1
    FA2  M >1
LOOP ISS O >1  # Walmart-style 810s send ISS before TDS
  ISS  M 1
  PID  O 1
TDS  M 1
TXI  O >1
CAD  O 1
AMT  O >1
LOOP SAC O >1
  SAC  M 1
  DTM  O >1
  LOOP TXI O >1
    TXI  M 1
    DTM  O 1
LOOP ISS O >1
  ISS  M 1
  PID  O 1
CTT  O 1
SE   M 1
"""
