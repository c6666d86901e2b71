"""997 Functional Acknowledgment (functional group FA): the ASC X12 standard structure.

AK1 names the group acknowledged, one AK2 loop per set (AK3/AK4 segment and element errors, AK5 set
response), AK9 the group response. Unchanged between 004010 and 005010.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "FA"

TEMPLATE = """
ST   M 1
AK1  M 1
LOOP AK2 O >1
  AK2  M 1
  LOOP AK3 O >1
    AK3  M 1
    AK4  O 99
  AK5  M 1
AK9  M 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = STRUCTURE_004010
