"""944 Warehouse Stock Transfer Receipt Advice (functional group RE): the ASC X12 004010 structure.

Header (W17, the mandatory N1 loop, references, dates, receipt carrier), the W07 item loop with its exceptions
(the W13 loop: units received in a condition other than good), and the W14 total. Only 004010 is given.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "RE"

TEMPLATE = """
ST   M 1
W17  M 1
USE N1_WH M 10 | N2 O 1
N9   O 10
G61  O 3
G62  O 5
NTE  O 20
W08  O 1
W18  O 10
G08  O 2
LOOP W07 M 9999
  W07  M 1
  G69  O 5
  N9   O 200
  W20  O 2
  LOOP W13 O 50
    W13  M 1
    N9   O 200
W14  M 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
