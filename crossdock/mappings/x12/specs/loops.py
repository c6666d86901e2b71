"""The loops the X12 sets share, written once: each the children of a loop, in the structure text of
``spec.py`` with the ``@version`` tags and ``USE`` lines of ``template.py``. A set takes one with
``USE NAME USAGE MAX`` (the usage and maximum of the loop are the set's) and states where it differs.
``GROUPS`` are runs of lines that sets share outside any loop of their own, taken with ``WITH NAME``.

Names say where the standard puts each form: ``_PARTY`` the header's party, ``_LINE`` the line item's,
``_SLN`` the subline's, ``_SPI`` the specification identifier's, ``_WH`` the warehouse sets' (940, 944, 945,
180). The order sets' LM loop leaves LQ unbounded; the others' (``LM_100``) allow 100. 005010 replaces MSG
with MTX throughout.
"""

LOOPS: dict[str, str] = {
    "SAC": """
SAC  M 1
CUR  O 1
""",
    "CTP": """
CTP  M 1
CUR  O 1
""",
    "PID": """
PID  M 1
MEA  O 10
""",
    "QTY": """
QTY  M 1
SI   O >1
""",
    "PKG": """
PKG  M 1
MEA  O >1
""",
    "LM": """
LM   M 1
LQ   M >1
""",
    "LM_100": """
LM   M 1
LQ   M 100
""",
    "N1": """
N1   M 1
N2   O 2
N3   O 2
N4   O 1
REF  O 12
PER  O 3
""",
    "N1_WH": """
N1   M 1
N2   O 2
N3   O 2
N4   O 1
PER  O 5
""",
    "LX_WH": """
LX   M 1
N9   O >1
G62  O 10
N1   O 1
USE LM_100 O 10
""",
    "LH1": """
LH1  M 1
LH2  O 4
LH3  O 10
LFH  O 20
LEP  O 3
LH4  O 1
LHT  O 3
LHR  O 5
PER  O 5
""",
    "V1": """
V1   M 1
R4   O >1
DTM  O >1
""",
    "FA1": """
FA1  M 1
FA2  M >1
""",
    "ACK": """
ACK  M 1
DTM  O 1
""",
    "ADV": """
ADV  M 1
DTM  O >1
MTX  O >1
""",
    "CTT": """
CTT  M 1
AMT  O 1
""",
    "AMT_PARTY": """
AMT  M 1
REF  O >1
DTM  O 1
PCT  O >1
USE FA1 O >1
""",
    "AMT_LINE": """
AMT  M 1
REF  O 1   @004010
REF  O >1  @005010
PCT  O >1
""",
    "LDT_PARTY": """
LDT  M 1
QTY  O >1
MTX  O >1
REF  O >1
""",
    "N9": """
N9   M 1
DTM  O >1
MSG  O 1000  @004010
MTX  O >1    @005010
PWK  O >1    @005010
EFI  O >1    @005010
""",
    "N9_SLN": """
N9   M 1
DTM  O >1
MSG  O >1  @004010
MTX  O >1  @005010
""",
    "N1_PARTY": """
N1   M 1
N2   O 2
IN2  O >1  @005010
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
""",
    "N1_LINE": """
N1   M 1
N2   O 2
IN2  O >1  @005010
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
USE LDT_N1 O >1
""",
    "LDT_N1": """
LDT  M 1
MAN  O 10
QTY  O 5
MSG  O 1   @004010
MTX  O >1  @005010
REF  O 3
""",
    "N1_SLN": """
N1   M 1
N2   O 2
IN2  O >1  @005010
N3   O 2
N4   O 1
NX2  O >1
REF  O 12
PER  O 3
SI   O >1
""",
    "SPI": """
SPI  M 1
REF  O 5
DTM  O 5
MSG  O 50  @004010
MTX  O >1  @005010
USE N1_SPI O 20
USE CB1 O >1
""",
    "N1_SPI": """
N1   M 1
N2   O 2
N3   O 2
N4   O 1
REF  O 20
G61  O 1
MSG  O 50  @004010
MTX  O >1  @005010
""",
    "CB1": """
CB1  M 1
REF  O 20
DTM  O 5
LDT  O 1
MSG  O 50  @004010
MTX  O >1  @005010
""",
    "SCH": """
SCH  M 1
TD1  O 2
TD5  O 12
TD3  O 12
TD4  O 5
REF  O >1
""",
    "LS": """
LS   M 1
USE LDT_LS M >1
LE   M 1
""",
    "LDT_LS": """
LDT  M 1
QTY  O >1
MSG  O 1   @004010
MTX  O >1  @005010
REF  O 3
USE LM O >1
""",
}

GROUPS: dict[str, str] = {
    # what follows BEG, BAK and BCH in the 850, 855 and 860 headers (the 865 takes the 860's), up to TD4
    "PO_HEADER": """
CUR  O 1
REF  O >1
PER  O 3
TAX  O >1
FOB  O >1
CTP  O >1
PAM  O 10
CSH  O 5
USE SAC O 25
ITD  O 5
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
""",
    # the loops that end the 850 and 860 headers (005010 turns the header LDT into the first of them)
    "PO_PARTIES": """
USE LDT_PARTY O >1  @005010
USE AMT_PARTY O >1
USE N9 O 1000
USE N1_PARTY O 200
USE LM O >1
USE SPI O >1
USE ADV O >1
""",
}
