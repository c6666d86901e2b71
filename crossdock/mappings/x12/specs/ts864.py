"""864 Text Message (functional group TX): free text from a buyer, such as the invoice errors some retailers
send this way. BMG says what it is about; each MIT loop is one message, MIT01 its reference, MSG its lines.
The same structure in 004010 and 005010; its two N1 loops are one.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "TX"

N1 = """
N1   M 1
N2   O 2
N3   O 2
N4   O >1
REF  O 12
PER  O >1
"""

TEMPLATE = """
ST   M 1
BMG  M 1
DTM  O >1
USE N1 O >1
LOOP MIT O >1
  MIT  M 1
  USE N1 O >1
  MSG  M >1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010", {"N1": N1})
STRUCTURE_005010 = STRUCTURE_004010
