"""940 Warehouse Shipping Order (functional group OW): the full ASC X12 standard structure.

Header (W05, N1 loop, references and carrier details), the LX detail loop holding the W01 line loops, and
the W76 total. 005010 adds the TD3/AT9 loop, N9 under LX, an N1 loop under W01 and raises W6 to 5.
"""

FUNCTIONAL_ID = "OW"

STRUCTURE_004010 = """
ST   M 1
W05  M 1
LOOP N1 O 10
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O 1
  PER  O 5
N9   O 10
G61  O 3
G62  O 10
NTE  O >1
W09  O 1
W66  O 1
W6   O 1
R2   O 13
BNX  O 1
LOOP LM O 10
  LM   M 1
  LQ   M 100
LOOP LX M >1
  LX   M 1
  MAN  O >1
  SDQ  O >1
  N1   O 1
  G62  O 10
  LOOP W01 M >1
    W01  M 1
    G69  O 5
    N9   O 200
    NTE  O >1
    W20  O 3
    QTY  O 10
    AMT  O 1
    G62  O 10
    G66  O 1
    N1   O 3
    PER  O 5
    LH2  O 6
    LHR  O 1
    LH6  O 5
    LOOP LM O 10
      LM   M 1
      LQ   M 100
    LOOP LS O 1
      LS   M 1
      LOOP LX M >1
        LX   M 1
        N9   O >1
        G62  O 10
        N1   O 1
        SDQ  O >1
        LOOP LM O 10
          LM   M 1
          LQ   M 100
        LOOP LH1 O >1
          LH1  M 1
          LH2  O 4
          LH3  O 10
          LFH  O 20
          LEP  O 3
          LH4  O 1
          LHT  O 3
          LHR  O 5
          PER  O 5
      LE   M 1
    LOOP FA1 O >1
      FA1  M 1
      FA2  M >1
W76  O 1
SE   M 1
"""

STRUCTURE_005010 = """
ST   M 1
W05  M 1
LOOP N1 O 10
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O 1
  PER  O 5
N9   O 10
G61  O 3
G62  O 10
NTE  O >1
W09  O 1
W66  O 1
W6   O 5
R2   O 13
BNX  O 1
LOOP TD3 O 1
  TD3  M 1
  AT9  O 1
LOOP LM O 10
  LM   M 1
  LQ   M 100
LOOP LX M >1
  LX   M 1
  MAN  O >1
  SDQ  O >1
  N1   O 1
  G62  O 10
  N9   O >1
  LOOP W01 M >1
    W01  M 1
    G69  O 5
    N9   O 200
    NTE  O >1
    W20  O 3
    QTY  O 10
    AMT  O >1
    G62  O 10
    G66  O 1
    LOOP N1 O >1
      N1   M 1
      N2   O 1
      N3   O 1
      N4   O 1
      PER  O 5
    LH2  O 6
    LHR  O 1
    LH6  O 5
    LOOP LM O 10
      LM   M 1
      LQ   M 100
    LOOP LS O 1
      LS   M 1
      LOOP LX M >1
        LX   M 1
        N9   O >1
        G62  O 10
        N1   O 1
        SDQ  O >1
        LOOP LM O 10
          LM   M 1
          LQ   M 100
        LOOP LH1 O >1
          LH1  M 1
          LH2  O 4
          LH3  O 10
          LFH  O 20
          LEP  O 3
          LH4  O 1
          LHT  O 3
          LHR  O 5
          PER  O 5
      LE   M 1
    LOOP FA1 O >1
      FA1  M 1
      FA2  M >1
W76  O 1
SE   M 1
"""
