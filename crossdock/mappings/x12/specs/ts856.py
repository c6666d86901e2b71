"""856 Ship Notice/Manifest (functional group SH): the full ASC X12 standard structure, 004010 and 005010.

One repeating HL loop carries every level (shipment, order, tare, pack, item); the hierarchy itself is
described by HL01-HL03, not by the structure. Written over the shared loops of ``loops``; 005010 adds the AT9
loop under TD3 and raises LH4 to 4.
"""

from crossdock.mappings.x12.specs.template import structure

FUNCTIONAL_ID = "SH"

TEMPLATE = """
ST   M 1
BSN  M 1
DTM  O 10
LOOP HL M 200000
  HL   M 1
  LIN  O 1
  SN1  O 1
  SLN  O 1000
  PRF  O 1
  PO4  O 1
  PID  O 200
  MEA  O 40
  PWK  O 25
  PKG  O 25
  TD1  O 20
  TD5  O 12
  TD3  O 12  @004010
  LOOP TD3 O 12  @005010
    TD3  M 1
    AT9  O 1
  TD4  O 5
  TSD  O 1
  REF  O >1
  PER  O 3
  USE LH1 O 100 | LH3 O 12; LEP O >1; LH4 O 4 @005010; LHR O 10; +LHE O 1
  LOOP CLD O 200
    CLD  M 1
    REF  O 200
    DTP  O 1
  MAN  O >1
  DTM  O 10
  FOB  O 1
  PAL  O 1
  USE N1 O 200 | +FOB O 1
  SDQ  O 50
  ETD  O 1
  CUR  O 1
  USE SAC O >1
  GF   O 1
  YNQ  O 10
  USE LM_100 O 10
  USE V1 O >1
CTT  O 1
SE   M 1
"""

STRUCTURE_004010 = structure(TEMPLATE, "004010")
STRUCTURE_005010 = structure(TEMPLATE, "005010")
