"""864 Text Message (functional group TX): free text from a buyer, such as the invoice errors some retailers
send this way. BMG says what it is about; each MIT loop is one message, MIT01 its reference, MSG its lines.
The same structure in 004010 and 005010.
"""

FUNCTIONAL_ID = "TX"

STRUCTURE_004010 = """
ST   M 1
BMG  M 1
DTM  O >1
LOOP N1 O >1
  N1   M 1
  N2   O 2
  N3   O 2
  N4   O >1
  REF  O 12
  PER  O >1
LOOP MIT O >1
  MIT  M 1
  LOOP N1 O >1
    N1   M 1
    N2   O 2
    N3   O 2
    N4   O >1
    REF  O 12
    PER  O >1
  MSG  M >1
SE   M 1
"""

STRUCTURE_005010 = STRUCTURE_004010
