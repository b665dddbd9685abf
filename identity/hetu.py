"""The Finnish personal identity code (henkilötunnus, HETU): validation, and
detection and masking in free text.

Format `DDMMYYCZZZQ`: date of birth, century sign C (`+` 1800s; `-` `Y` `X` `W`
`V` `U` 1900s; `A` `B` `C` `D` `E` `F` 2000s, the extra letters since 2023),
individual number ZZZ (002–899, 900–999 temporary), check character Q = the nine
digits DDMMYYZZZ mod 31 indexed into CHECK_CHARS. The century sign is part of
the identity and is never normalised away.

Detection in free text (security-relevant: the design rule is that no identity
code is ever stored in a message, a note or an intake field).

1. Normalise first, keeping a map back to the original offsets: NFKC (fullwidth
   digits and dashes become ASCII, no-break spaces plain spaces) and drop format
   characters (Unicode category Cf: soft hyphen, zero-width space/joiner, word
   joiner, BOM…), which are invisible and would otherwise split a code. The span
   masked is the original one, invisible characters inside it included.
2. Three shapes are recognised, each with the evidence it needs:

   * **Typed as a code** (`DDMMYY`, at most one space or line break, the century
     sign, at most one space or line break, `ZZZ`, check character): masked when
     the date is plausible (day 01–31, month 01–12), even with a wrong check
     character: it is still someone's code, mistyped. A number written exactly
     in this shape (`040123-4567`) is masked too, as it cannot be told from a
     mistyped code; phone numbers as people write them (`040 123 4567`,
     `040-1234567`, `+358 40 123 4567`) never have this shape.
   * **Typed loosely**: digits spaced out one by one (`0 1 0 1 9 0 - 1 2 3 A`),
     the date in pairs (`01 01 90-123A`), a doubled separator (`010190--123A`,
     `010190-A123A`), a space before the check character. These are masked only
     when the whole code is valid (real date, check character matches): loose
     spacing is where other numbers live, and a matching check character is a
     1-in-31 coincidence on top of a real date. The date must be typed as six
     digits, three pairs or six single digits, so a phone number grouped
     3 + 3 (`040 123-4567`) never qualifies.
   * **Without a century sign** (`DDMMYYZZZQ`, ten characters, optionally one
     space after the date, e.g. `010190123M`, `2802809521`): masked only when
     the date is real in some century, the individual number is 002–999 and the
     check character matches. When the check character is a digit the run is
     ten digits, which is also the shape of a Finnish phone number
     (`0401234567`; 1 in 31 of those with a plausible "date" would pass the
     check), so a ten-digit run is taken for a code only when it does not start
     with `0`: every Finnish phone number starts with the trunk prefix 0, and
     international ones with `+`/`00`. The cost is that a sign-less code of
     someone born on days 01–09 whose check character is a digit (about 9 % of
     sign-less codes) is missed; a letter check character is never a phone
     number, so those are always caught.

   Every shape must stand alone among digits (`1010280-952L` is part of a longer
   number) but may be glued to letters on either side (`hetu010280-952L,kiitos`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURIES = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900}
CENTURIES.update(dict.fromkeys("ABCDEF", 2000))

# Every Unicode dash and minus a keyboard or phone may produce (after NFKC the
# fullwidth and small forms are already "-"; kept here for raw input too).
DASHES = "\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
MASK = "[***]"

_DASH = f"[{re.escape(DASHES)}]"
_SIGN = f"[+{re.escape(DASHES)}YXWVUABCDEFyxwvuabcdef]"
_CHECK = "[0-9A-Ya-y]"
_GAP = r"(?:\r\n|\s)?"  # one space, tab, no-break space or line break
_SPACE = r"[ \t]"

# Typed as a code: six digits, sign, three digits and the check character.
_STRICT = re.compile(
    rf"(?<![0-9])(?P<date>[0-9]{{6}}){_GAP}(?P<sign>{_SIGN}){_GAP}"
    rf"(?P<ind>[0-9]{{3}})(?P<check>{_CHECK})(?![0-9])"
)
# Typed loosely: spaced digits, pairs, a doubled separator, a gap before the check.
_LOOSE = re.compile(
    rf"(?P<date>(?<![0-9])(?<![0-9]{_SPACE})"
    rf"(?:[0-9]{{6}}|[0-9]{{2}}{_SPACE}[0-9]{{2}}{_SPACE}[0-9]{{2}}|[0-9](?:{_SPACE}[0-9]){{5}}))"
    rf"{_GAP}(?:{_DASH}{_GAP})?(?P<sign>{_SIGN})(?:{_GAP}{_DASH})?{_GAP}"
    rf"(?P<ind>[0-9]{{3}}|[0-9]{_SPACE}[0-9]{_SPACE}[0-9]){_SPACE}?(?P<check>{_CHECK})(?![0-9])"
)
# Without a century sign.
_SIGNLESS = re.compile(
    rf"(?<![0-9+])(?P<date>[0-9]{{6}}) ?(?P<ind>[0-9]{{3}})(?P<check>{_CHECK})(?![0-9])"
)


@dataclass(frozen=True)
class Match:
    """A code found in text: its span in the original text, and whether it is a valid code."""

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


def normalise(text: str) -> tuple[str, list[int]]:
    """`text` after NFKC with format characters dropped, and for each character of
    the result the offset in `text` it came from (plus `len(text)` at the end)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if unicodedata.category(ch) == "Cf":
            continue
        for out in unicodedata.normalize("NFKC", ch):
            chars.append(out)
            origin.append(i)
    origin.append(len(text))
    return "".join(chars), origin


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _plausible_date(ddmmyy: str) -> bool:
    return 1 <= int(ddmmyy[:2]) <= 31 and 1 <= int(ddmmyy[2:4]) <= 12


def _signless_is_valid(ddmmyy: str, zzz: str, check: str) -> bool:
    return any(is_valid(f"{ddmmyy}{sign}{zzz}{check.upper()}") for sign in "+-A")


def _candidates(norm: str) -> list[tuple[int, int, bool]]:
    """(start, end, valid) in `norm` of every run to mask, overlaps not yet removed."""
    found = []
    for strict in _STRICT.finditer(norm):
        ddmmyy = strict["date"]
        code = ddmmyy + _canonical_sign(strict["sign"]) + strict["ind"] + strict["check"].upper()
        if _plausible_date(ddmmyy):
            found.append((strict.start(), strict.end(), is_valid(code)))
    # Loose and sign-less shapes: try every start, since a rejected candidate
    # must not hide a later one that overlaps it.
    for pattern in (_LOOSE, _SIGNLESS):
        pos = 0
        while (m := pattern.search(norm, pos)) is not None:
            pos = m.start() + 1
            ddmmyy, zzz, check = _digits(m["date"]), _digits(m["ind"]), m["check"]
            if pattern is _LOOSE:
                ok = is_valid(ddmmyy + _canonical_sign(m["sign"]) + zzz + check.upper())
            else:
                ok = _signless_is_valid(ddmmyy, zzz, check) and not (
                    check.isdigit() and ddmmyy.startswith("0")
                )
            if ok:
                found.append((m.start(), m.end(), True))
    return found


def find(text: str) -> list[Match]:
    """Every run of `text` taken for an identity code (see the module docstring),
    valid or not, as spans of the original `text`, in order and not overlapping."""
    norm, origin = normalise(text)
    matches: list[Match] = []
    for start, end, valid in sorted(_candidates(norm), key=lambda c: (c[0], -c[1])):
        o_start, o_end = origin[start], origin[end - 1] + 1
        if matches and o_start < matches[-1].end:
            last = matches[-1]
            if o_end > last.end:  # overlapping shapes: mask their union
                matches[-1] = Match(last.start, o_end, last.valid or valid)
            continue
        matches.append(Match(o_start, o_end, valid))
    return matches


def contains_code(text: str) -> bool:
    """True when `text` holds anything `mask()` would hide."""
    return bool(find(text))


def mask(text: str) -> tuple[str, int]:
    """`text` with every code replaced by MASK, and how many were masked."""
    matches = find(text)
    parts, pos = [], 0
    for m in matches:
        parts += [text[pos : m.start], MASK]
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts), len(matches)
