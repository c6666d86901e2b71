"""850 Purchase Order (functional group PO): the full ASC X12 standard structure, 004010 and 005010.

Header, detail and summary tables are flattened into one list in standard order. 005010 replaces MSG with
MTX, turns the header LDT into a loop and adds IN2 to the N1 loops and PWK/EFI to the N9 loops.
"""

FUNCTIONAL_ID = "PO"

STRUCTURE_004010 = """
ST   M 1
BEG  M 1
CUR  O 1
REF  O >1
PER  O 3
TAX  O >1
FOB  O >1
CTP  O >1
PAM  O 10
CSH  O 5
TC2  O >1
LOOP SAC O 25
  SAC  M 1
  CUR  O 1
ITD  O >1
DIS  O 20
INC  O 1
DTM  O 10
LDT  O 12
LIN  O 5
SI   O >1
PID  O 200
MEA  O 40
PWK  O 25
PKG  O 200
TD1  O 2
TD5  O 12
TD3  O 12
TD4  O 5
MAN  O 10
PCT  O >1
CTB  O 5
TXI  O >1
LOOP AMT O >1
  AMT  M 1
  REF  O >1
  DTM  O 1
  PCT  O >1
  LOOP FA1 O >1
    FA1  M 1
    FA2  M >1
LOOP N9 O 1000
  N9   M 1
  DTM  O >1
  MSG  O 1000
LOOP N1 O 200
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O >1
  NX2  O >1
  REF  O 12
  PER  O >1
  SI   O >1
  FOB  O 1
  TD1  O 2
  TD5  O 12
  TD3  O 12
  TD4  O 5
  PKG  O 200
LOOP LM O >1
  LM   M 1
  LQ   M >1
LOOP SPI O >1
  SPI  M 1
  REF  O 5
  DTM  O 5
  MSG  O 50
  LOOP N1 O 20
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O 1
    REF  O 20
    G61  O 1
    MSG  O 50
  LOOP CB1 O >1
    CB1  M 1
    REF  O 20
    DTM  O 5
    LDT  O 1
    MSG  O 50
LOOP ADV O >1
  ADV  M 1
  DTM  O >1
  MTX  O >1
LOOP PO1 O 100000  # the standard says M; an 850 without lines is accepted and warned about
  PO1  M 1
  LIN  O >1
  SI   O >1
  CUR  O 1
  CN1  O 1
  PO3  O 25
  LOOP CTP O >1
    CTP  M 1
    CUR  O 1
  PAM  O 10
  MEA  O 40
  LOOP PID O 1000
    PID  M 1
    MEA  O 10
  PWK  O 25
  PO4  O >1
  REF  O >1
  PER  O 3
  LOOP SAC O 25
    SAC  M 1
    CUR  O 1
    CTP  O 1
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
  MSG  O >1
  SPI  O >1
  TXI  O >1
  CTB  O >1
  LOOP QTY O >1
    QTY  M 1
    SI   O >1
  LOOP SCH O 200
    SCH  M 1
    TD1  O 2
    TD5  O 12
    TD3  O 12
    TD4  O 5
    REF  O >1
  LOOP PKG O 200
    PKG  M 1
    MEA  O >1
  LOOP LS O 1
    LS   M 1
    LOOP LDT M >1
      LDT  M 1
      QTY  O >1
      MSG  O 1
      REF  O 3
      LOOP LM O >1
        LM   M 1
        LQ   M >1
    LE   M 1
  LOOP N9 O 1000
    N9   M 1
    DTM  O >1
    MEA  O 40
    MSG  O 1000
  LOOP N1 O 200
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O 1
    QTY  O >1
    NX2  O >1
    REF  O 12
    PER  O 3
    SI   O >1
    DTM  O 1
    FOB  O 1
    SCH  O 200
    TD1  O 2
    TD5  O 12
    TD3  O 12
    TD4  O 5
    PKG  O 200
    LOOP LDT O >1
      LDT  M 1
      MAN  O 10
      QTY  O 5
      MSG  O 1
      REF  O 3
  LOOP SLN O 1000
    SLN  M 1
    MSG  O >1
    SI   O >1
    PID  O 1000
    PO3  O 104
    TC2  O >1
    ADV  O >1
    DTM  O 10
    CTP  O 25
    PAM  O 10
    PO4  O 1
    TAX  O 3
    LOOP N9 O >1
      N9   M 1
      DTM  O >1
      MSG  O >1
    LOOP SAC O 25
      SAC  M 1
      CUR  O 1
      CTP  O 1
    LOOP QTY O >1
      QTY  M 1
      SI   O >1
    LOOP N1 O 10
      N1   M 1
      N2   O 2
      N3   O 2
      N4   O 1
      NX2  O >1
      REF  O 12
      PER  O 3
      SI   O >1
  LOOP AMT O >1
    AMT  M 1
    REF  O 1
    PCT  O >1
  LOOP LM O >1
    LM   M 1
    LQ   M >1
LOOP CTT O 1
  CTT  M 1
  AMT  O 1
SE   M 1
"""

STRUCTURE_005010 = """
ST   M 1
BEG  M 1
CUR  O 1
REF  O >1
PER  O 3
TAX  O >1
FOB  O >1
CTP  O >1
PAM  O 10
CSH  O 5
TC2  O >1
LOOP SAC O 25
  SAC  M 1
  CUR  O 1
ITD  O >1
DIS  O 20
INC  O 1
DTM  O 10
LIN  O 5
SI   O >1
PID  O 200
MEA  O 40
PWK  O 25
PKG  O 200
TD1  O 2
TD5  O >1
TD3  O 12
TD4  O 5
MAN  O 10
PCT  O >1
CTB  O 5
TXI  O >1
LOOP LDT O >1
  LDT  M 1
  QTY  O >1
  MTX  O >1
  REF  O >1
LOOP AMT O >1
  AMT  M 1
  REF  O >1
  DTM  O 1
  PCT  O >1
  LOOP FA1 O >1
    FA1  M 1
    FA2  M >1
LOOP N9 O 1000
  N9   M 1
  DTM  O >1
  MTX  O >1
  PWK  O >1
  EFI  O >1
LOOP N1 O 200
  N1   M 1
  N2   O 2
  IN2  O >1
  N3   O 2
  N4   O >1
  NX2  O >1
  REF  O 12
  PER  O >1
  SI   O >1
  FOB  O 1
  TD1  O 2
  TD5  O 12
  TD3  O 12
  TD4  O 5
  PKG  O 200
LOOP LM O >1
  LM   M 1
  LQ   M >1
LOOP SPI O >1
  SPI  M 1
  REF  O 5
  DTM  O 5
  MTX  O >1
  LOOP N1 O 20
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O 1
    REF  O 20
    G61  O 1
    MTX  O >1
  LOOP CB1 O >1
    CB1  M 1
    REF  O 20
    DTM  O 5
    LDT  O 1
    MTX  O >1
LOOP ADV O >1
  ADV  M 1
  DTM  O >1
  MTX  O >1
LOOP PO1 O 100000  # the standard says M; an 850 without lines is accepted and warned about
  PO1  M 1
  LIN  O >1
  SI   O >1
  CUR  O 1
  CN1  O 1
  PO3  O 25
  LOOP CTP O >1
    CTP  M 1
    CUR  O 1
  PAM  O 10
  MEA  O 40
  LOOP PID O 1000
    PID  M 1
    MEA  O 10
  PWK  O 25
  PO4  O >1
  REF  O >1
  PER  O 3
  LOOP SAC O 25
    SAC  M 1
    CUR  O 1
    CTP  O 1
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
  MTX  O >1
  SPI  O >1
  TXI  O >1
  CTB  O >1
  LOOP QTY O >1
    QTY  M 1
    SI   O >1
  LOOP SCH O 200
    SCH  M 1
    TD1  O 2
    TD5  O 12
    TD3  O 12
    TD4  O 5
    REF  O >1
  LOOP PKG O 200
    PKG  M 1
    MEA  O >1
  LOOP LS O 1
    LS   M 1
    LOOP LDT M >1
      LDT  M 1
      QTY  O >1
      MTX  O >1
      REF  O 3
      LOOP LM O >1
        LM   M 1
        LQ   M >1
    LE   M 1
  LOOP N9 O 1000
    N9   M 1
    DTM  O >1
    MEA  O 40
    MTX  O >1
    PWK  O >1
    EFI  O >1
  LOOP N1 O 200
    N1   M 1
    N2   O 2
    IN2  O >1
    N3   O 2
    N4   O 1
    QTY  O >1
    NX2  O >1
    REF  O 12
    PER  O 3
    SI   O >1
    DTM  O 1
    FOB  O 1
    SCH  O 200
    TD1  O 2
    TD5  O 12
    TD3  O 12
    TD4  O 5
    PKG  O 200
    LOOP LDT O >1
      LDT  M 1
      MAN  O 10
      QTY  O 5
      MTX  O >1
      REF  O 3
  LOOP SLN O 1000
    SLN  M 1
    MTX  O >1
    SI   O >1
    PID  O 1000
    PO3  O 104
    MEA  O >1
    TC2  O >1
    ADV  O >1
    DTM  O 10
    CTP  O 25
    PAM  O 10
    PO4  O 1
    TAX  O 3
    LOOP N9 O >1
      N9   M 1
      DTM  O >1
      MTX  O >1
    LOOP SAC O 25
      SAC  M 1
      CUR  O 1
      CTP  O 1
    LOOP QTY O >1
      QTY  M 1
      SI   O >1
    LOOP N1 O 10
      N1   M 1
      N2   O 2
      IN2  O >1
      N3   O 2
      N4   O 1
      NX2  O >1
      REF  O 12
      PER  O 3
      SI   O >1
  LOOP AMT O >1
    AMT  M 1
    REF  O >1
    PCT  O >1
  LOOP LM O >1
    LM   M 1
    LQ   M >1
LOOP CTT O 1
  CTT  M 1
  AMT  O 1
SE   M 1
"""
