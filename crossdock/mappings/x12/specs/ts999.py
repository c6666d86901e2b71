"""999 Implementation Acknowledgment (functional group FA): the ASC X12 structure, 005010 only.

AK1 names the group acknowledged, one AK2 loop per set (IK3 segment errors with CTX context, IK4 element
errors with CTX, IK5 set response), AK9 the group response: the 997's frame (``ts997``) with the
implementation errors in place of AK3/AK4/AK5. There is no 004010 999.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "FA"

TEMPLATE = """
ST   M 1
AK1  M 1
LOOP AK2 O >1
  AK2  M 1
  LOOP IK3 O >1
    IK3  M 1
    CTX  O 10
    LOOP IK4 O >1
      IK4  M 1
      CTX  O 10
  IK5  M 1
AK9  M 1
SE   M 1
"""

STRUCTURE_005010 = structure(TEMPLATE, "005010")
