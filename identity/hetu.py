"""The Finnish personal identity code (henkilötunnus, HETU): validation, and
detection and masking in free text.

Format `DDMMYYCZZZQ`: date of birth, century sign C (`+` 1800s; `-` `Y` `X` `W`
`V` `U` 1900s; `A` `B` `C` `D` `E` `F` 2000s, the extra letters since 2023),
individual number ZZZ (002–899, 900–999 temporary), check character Q = the nine
digits DDMMYYZZZ mod 31 indexed into CHECK_CHARS. The century sign is part of
the identity and is never normalised away.

In free text residents type dashes of every kind and spaces. Anything shaped
like a code is masked, even with a wrong check character (it is still someone's
code, mistyped); only a valid code counts as an identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURIES = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900}
CENTURIES.update(dict.fromkeys("ABCDEF", 2000))

# Every Unicode dash and minus a keyboard or phone may produce.
DASHES = "\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
MASK = "[***]"

_SIGN = f"[+{re.escape(DASHES)}YXWVUABCDEFyxwvuabcdef]"
_SEP = r"[ \t\u00a0\u202f]?"
# DDMMYY, optional space, sign, optional space, ZZZ, check char; not inside a longer token.
_PATTERN = re.compile(
    rf"(?<![0-9A-Za-z])(?P<ddmmyy>[0-3]\d[01]\d\d\d){_SEP}(?P<sign>{_SIGN}){_SEP}"
    rf"(?P<zzz>\d{{3}})(?P<check>[0-9A-Ya-y])(?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    valid: bool


def _canonical_sign(sign: str) -> str:
    return "-" if sign in DASHES else sign.upper()


def check_char(ddmmyy: str, zzz: str) -> str:
    return CHECK_CHARS[int(ddmmyy + zzz) % 31]


def birth_date(code: str) -> date | None:
    """The date of birth of a well-formed code, or None when the date is impossible."""
    century = CENTURIES.get(_canonical_sign(code[6]))
    if century is None:
        return None
    try:
        return date(century + int(code[4:6]), int(code[2:4]), int(code[0:2]))
    except ValueError:
        return None


def is_valid(code: str) -> bool:
    """True for a canonical, valid HETU such as `010280-952L` (exact form, no spaces)."""
    if len(code) != 11 or code[6] not in CENTURIES:
        return False
    ddmmyy, zzz, check = code[:6], code[7:10], code[10]
    if not (ddmmyy.isdigit() and zzz.isdigit()) or int(zzz) < 2:
        return False
    return birth_date(code) is not None and check_char(ddmmyy, zzz) == check


def find(text: str) -> list[Match]:
    """Every code-shaped run in `text`, valid or not."""
    matches = []
    for m in _PATTERN.finditer(text):
        code = m["ddmmyy"] + _canonical_sign(m["sign"]) + m["zzz"] + m["check"].upper()
        matches.append(Match(m.start(), m.end(), is_valid(code)))
    return matches


def mask(text: str) -> tuple[str, int]:
    """`text` with every code-shaped run replaced by MASK, and how many were masked."""
    masked, count = _PATTERN.subn(MASK, text)
    return masked, count
