"""824 Application Advice (functional group AG): a buyer's verdict on the content of a document we sent.

BGN, the parties, then one OTI loop per document (or part of one) judged: OTI01 the verdict (TA accepted, TC
accepted with change, TE accepted with error, TP partially accepted, TR rejected ...), OTI02/03 its business
reference, OTI08/09 its group and set control numbers; TED (the error, with its NTE and RED text) says why.
The same structure in 004010 and 005010.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "AG"

TEMPLATE = """
ST   M 1
BGN  M 1
USE N1 O >1
LOOP OTI O >1
  OTI  M 1
  REF  O 12
  DTM  O 2
  PER  O 3
  AMT  O >1
  QTY  O >1
  NM1  O 9
  LOOP TED O >1
    TED  M 1
    NTE  O 100
    RED  O 100
  USE LM O >1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = STRUCTURE_004010
