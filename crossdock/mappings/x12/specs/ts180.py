"""180 Return Merchandise Authorization and Notification (functional group AN): the ASC X12 004010 structure.

Header (BGN, return reason, the PO reference, dates, references, contacts, the N1 loop), then one BLI loop per
returned item with its references, description, reason, PO reference, dates and a QTY loop. Only 004010 is
given: a 005010 180 is checked for its envelope only.
"""

FUNCTIONAL_ID = "AN"

STRUCTURE_004010 = """
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
LOOP N1 O 200
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O 1
  PER  O 5
LOOP LM O 10
  LM   M 1
  LQ   M 100
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
  LOOP LM O 10
    LM   M 1
    LQ   M 100
  LOOP N1 O 200
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O 1
    PER  O 5
  LOOP QTY O >1
    QTY  M 1
    AMT  O 5
    DTM  O 10
    N1   O 1
    LOOP LM O 10
      LM   M 1
      LQ   M 100
    LOOP LX O >1
      LX   M 1
      N9   O >1
      DTM  O 10
      N1   O 1
      LOOP LM O 10
        LM   M 1
        LQ   M 100
  LOOP FA1 O >1
    FA1  M 1
    FA2  M >1
SE   M 1
"""
