"""943 Warehouse Stock Transfer Shipment Advice (functional group AR): the ASC X12 004010 and 005010 structure.

Heading: W06, the mandatory N1 loop (the warehouse sets' N1 with one N2), references, contacts, dates, notes, then
the carrier (W27, mandatory), consolidation (W28) and additional carrier information (W10). Detail: the W04 item
loop (description, references, pallet W20). Summary: the W03 totals, mandatory. The heading and summary follow
the published standard tables [source: https://stedi.com/edi/x12-004010/943]; the W04 loop's W20 allows two, as
the 005010 table does (the 004010 detail table was not to hand: the looser count refuses no partner's file).
crossdock writes the 943 (a return announced to a 3PL) and does not read one.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "AR"

TEMPLATE = """
ST   M 1
W06  M 1
USE N1_WH M 10 | N2 O 1
N9   O 10
G61  O 3
G62  O 5
NTE  O 20
W27  M 1
W28  O 1
W10  O 1
LOOP W04 M 9999
  W04  M 1
  G69  O 5
  N9   O 200
  W20  O 2
W03  M 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = structure(TEMPLATE, "005010")
