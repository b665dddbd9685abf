"""HETU detection: real test codes, generated valid codes in the spellings residents
type, and look-alikes that must stay untouched."""

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from identity import hetu

DVV_TEST_CODES = [
    "010280-952L",
    "010469-999W",
    "010675-9981",
    "261298-998X",
    "040265-9985",
    "260991-999R",
    "020365-999P",
    "210281-9988",
]
SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uff0d"]
FORMAT_CHARS = ["\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
# Text around a code: letters may touch it, digits may not.
CONTEXTS = [
    ("", ""),
    ("Min kod är ", ", tack"),
    ("hetu:", "."),
    ("hetu", "kiitos"),
    ("(", ")"),
    ("Rad ett\n", "\nrad tre"),
    ("\u200b", "\u200b"),
]


def make_code(born: date, individual: int, sign: str) -> str:
    ddmmyy = born.strftime("%d%m") + f"{born.year % 100:02d}"
    zzz = f"{individual:03d}"
    return f"{ddmmyy}{sign}{zzz}{hetu.check_char(ddmmyy, zzz)}"


@st.composite
def valid_codes(draw):
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)))
    sign = draw(st.sampled_from(SIGNS[born.year // 100 * 100]))
    return make_code(born, draw(st.integers(2, 999)), sign)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("code", DVV_TEST_CODES)
def test_dvv_test_persons_are_valid(code):
    assert hetu.is_valid(code)


def test_the_century_sign_is_part_of_the_identity():
    assert hetu.is_valid("010280-952L") and hetu.is_valid("010280Y952L")
    assert hetu.birth_date("010280A952L") == date(2080, 2, 1)
    assert hetu.birth_date("010280+952L") == date(1880, 2, 1)


@pytest.mark.parametrize(
    "code", ["010280-952M", "310280-952L", "010280-001L", "010280G952L", "010280-952"]
)
def test_invalid_codes(code):
    assert not hetu.is_valid(code)


@given(valid_codes())
def test_generated_valid_codes_validate_and_are_masked(code):
    assert hetu.is_valid(code)
    masked, count = hetu.mask(f"Min kod är {code}, tack")
    assert count == 1
    assert code not in masked and hetu.MASK in masked
    assert [m.valid for m in hetu.find(code)] == [True]


@given(valid_codes(), st.sampled_from(DASHES), st.sampled_from(["", " ", "\u00a0"]), st.booleans())
def test_dashes_spaces_and_lower_case_are_tolerated(code, dash, space, lower):
    typed = code[:6] + space + (dash if code[6] == "-" else code[6]) + space + code[7:]
    if lower:
        typed = typed.lower()
    masked, count = hetu.mask(f"hetu:{typed}.")
    assert count == 1, typed
    assert masked == f"hetu:{hetu.MASK}."
    assert [m.valid for m in hetu.find(typed)] == [True]


def _format_char_at_separator(code, draw):
    where = draw(st.sampled_from([6, 7]))
    return code[:where] + draw(st.sampled_from(FORMAT_CHARS)) + code[where:]


def _format_chars_both_sides(code, draw):
    return (
        code[:6]
        + draw(st.sampled_from(FORMAT_CHARS))
        + code[6]
        + draw(st.sampled_from(FORMAT_CHARS))
        + code[7:]
    )


def _line_break_at_separator(code, draw):
    where = draw(st.sampled_from([6, 7]))
    return code[:where] + draw(st.sampled_from(["\n", "\r\n"])) + code[where:]


def _doubled_separator(code, draw):
    dash = draw(st.sampled_from(DASHES))
    return code[:6] + dash + code[6:] if draw(st.booleans()) else code[:7] + dash + code[7:]


def _spaced_out(code, draw):
    return draw(st.sampled_from([" ", "\t"])).join(code)


def _date_in_pairs(code, draw):
    return f"{code[0:2]} {code[2:4]} {code[4:6]}{code[6:]}"


def _space_before_sign(code, draw):
    return code[:6] + " " + code[6:]


SPELLINGS = {
    "fullwidth": lambda code, draw: fullwidth(code),
    "format character at the separator": _format_char_at_separator,
    "format characters on both sides": _format_chars_both_sides,
    "line break at the separator": _line_break_at_separator,
    "doubled separator": _doubled_separator,
    "digits spaced out": _spaced_out,
    "date in pairs": _date_in_pairs,
    "space before the sign": _space_before_sign,
    "lower case": lambda code, draw: code.lower(),
}


@pytest.mark.parametrize("spelling", SPELLINGS)
@given(data=st.data(), code=valid_codes(), context=st.sampled_from(CONTEXTS))
def test_spellings_that_used_to_slip_past_are_masked(spelling, data, code, context):
    typed = SPELLINGS[spelling](code, data.draw)
    before, after = context
    assert hetu.mask(f"{before}{typed}{after}") == (f"{before}{hetu.MASK}{after}", 1), typed
    assert [m.valid for m in hetu.find(typed)] == [True]


def test_the_original_span_is_masked_around_invisible_and_wide_characters():
    # offsets in the normalised text map back to the original: nothing outside
    # the code is eaten, nothing of the code is left
    text = "a\u200b\u200b０１０２８０\u00ad－\u200b９５２Ｌ\u200bb 010469-999W"
    assert hetu.mask(text) == (f"a\u200b\u200b{hetu.MASK}\u200bb {hetu.MASK}", 2)
    [first, second] = hetu.find(text)
    assert (first.start, first.end) == (3, 16)
    assert text[second.start : second.end] == "010469-999W"


@given(valid_codes(), st.sampled_from(hetu.CHECK_CHARS))
def test_wrong_check_character_is_still_masked_but_not_valid(code, wrong):
    if wrong == code[-1]:
        return
    typo = code[:-1] + wrong
    assert hetu.mask(typo) == (hetu.MASK, 1)
    assert [m.valid for m in hetu.find(typo)] == [False]


@given(valid_codes(), st.sampled_from(hetu.CHECK_CHARS))
def test_loose_spellings_need_the_right_check_character(code, wrong):
    """Spaced-out digits are where other numbers live: only a valid code counts."""
    assume(wrong != code[-1])
    spaced = " ".join(code[:-1] + wrong)
    assert hetu.mask(spaced) == (spaced, 0)


# --- Without a century sign ---------------------------------------------------


def signless(code: str) -> str:
    return code[:6] + code[7:]


@given(valid_codes())
def test_signless_code_is_masked_when_it_cannot_be_a_phone_number(code):
    typed = signless(code)
    if typed[-1].isdigit() and typed.startswith("0"):
        # ten digits starting with the trunk prefix: the shape of a Finnish phone number
        assert hetu.mask(typed) == (typed, 0)
    else:
        assert hetu.mask(f"nr {typed}.") == (f"nr {hetu.MASK}.", 1)
        assert hetu.mask(f"{typed[:6]} {typed[6:]}") == (hetu.MASK, 1)


@pytest.mark.parametrize(
    "typed", ["010190123M", "150190123N", "2802809521", "3112991236", "010280952L"]
)
def test_signless_examples(typed):
    ddmmyy, zzz = typed[:6], typed[6:9]
    assert typed[-1] == hetu.check_char(ddmmyy, zzz), "example must carry its check char"
    assert hetu.mask(f"koodi {typed}") == (f"koodi {hetu.MASK}", 1)


@given(valid_codes(), st.sampled_from(hetu.CHECK_CHARS))
def test_signless_with_a_wrong_check_character_is_not_a_code(code, wrong):
    assume(wrong != code[-1])
    typed = signless(code)[:-1] + wrong
    assert hetu.mask(typed) == (typed, 0)


@settings(max_examples=500)
@given(st.from_regex(r"\A0(4[0-9]|50)\d{7}\Z"))
def test_finnish_mobile_numbers_typed_without_spaces_are_not_codes(number):
    # 0401234567 is ten digits: 04.01.23, individual number 456, check 7 would be a
    # sign-less code 1 time in 31, if the trunk 0 were not excluded
    assert hetu.mask(f"ring {number}") == (f"ring {number}", 0)


def test_a_mobile_number_that_would_pass_the_check_is_not_masked():
    number = "040123456" + hetu.check_char("040123", "456")
    assert number.isdigit()
    assert hetu.mask(number) == (number, 0)


# --- Look-alikes ---------------------------------------------------------------


def is_signless_code(text: str) -> bool:
    """A ten-digit number that is a valid code without its sign (masked by decision)."""
    return (
        len(text) == 10
        and text.isdigit()
        and not text.startswith("0")
        and any(hetu.is_valid(text[:6] + s + text[6:]) for s in "+-A")
    )


LOOKALIKES = st.one_of(
    # Finnish and international phone numbers, grouped as people write them. A
    # number written exactly in a code's shape (040123-4567) is masked by design.
    st.from_regex(r"\A(\+358 ?|0)(40|50|44|45|46|9)([ -]\d{3}[ -]?|\d{3} ?)\d{3,4}\Z"),
    st.from_regex(r"\A\(?0[2-9]\)? ?\d{3} ?\d{3,4}\Z"),
    st.from_regex(r"\A\+46 ?7[0-9] ?\d{3} ?\d{2} ?\d{2}\Z"),
    # dates in every common form
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d%m%y")),
    st.dates().map(lambda d: d.strftime("%d.%m.%y – %d.%m.%y")),
    # business IDs (Y-tunnus) NNNNNNN-N
    st.from_regex(r"\A\d{7}-\d\Z"),
    # bank reference numbers and ordinary numbers
    st.integers(0, 10**12).map(str).filter(lambda s: not is_signless_code(s)),
    # times and ranges
    st.from_regex(r"\A\d{1,2}[:.]\d{2} ?- ?\d{1,2}[:.]\d{2}\Z"),
    # amounts
    st.from_regex(r"\A\d{1,3}( \d{3})*,\d{2} ?€\Z"),
    st.from_regex(r"\A\d{1,6}-\d{1,2} ?€\Z"),
)


@settings(max_examples=500)
@given(LOOKALIKES)
def test_lookalikes_are_not_masked(text):
    assert hetu.mask(text) == (text, 0)
    assert hetu.mask(f"tel {text} tack") == (f"tel {text} tack", 0)


@settings(max_examples=300)
@given(LOOKALIKES, st.data())
def test_lookalikes_stay_unmasked_with_wide_or_invisible_characters(text, data):
    """Normalisation must not turn a look-alike into a code."""
    where = data.draw(st.integers(0, len(text)))
    typed = text[:where] + data.draw(st.sampled_from(FORMAT_CHARS)) + text[where:]
    if data.draw(st.booleans()):
        typed = fullwidth(typed)
    assert hetu.mask(typed) == (typed, 0)


def test_code_next_to_digits_is_not_a_code_but_next_to_letters_is():
    assert hetu.mask("1010280-952L")[1] == 0
    assert hetu.mask("010280-952L1")[1] == 0
    assert hetu.mask("1 0 1 0 2 8 0 - 9 5 2 L")[1] == 0
    assert hetu.mask("X010280-952LX") == (f"X{hetu.MASK}X", 1)
    assert hetu.mask("hetu010280-952Mkiitos") == (f"hetu{hetu.MASK}kiitos", 1)  # typo too


def test_two_codes_both_masked():
    text = "010280-952L och 010469-999W"
    assert hetu.mask(text) == (f"{hetu.MASK} och {hetu.MASK}", 2)


def test_dates_around_leap_days():
    leap = make_code(date(2000, 2, 29), 123, "A")
    assert hetu.is_valid(leap)
    not_leap = "290201A123" + hetu.check_char("290201", "123")
    assert not hetu.is_valid(not_leap)
    assert hetu.mask(not_leap)[1] == 1  # shaped like one: masked anyway


@pytest.mark.parametrize("sign", "+-YXWVUABCDEF")
def test_every_century_sign_validates_dates_and_masks(sign):
    century = next(c for c, signs in SIGNS.items() if sign in signs)
    born = date(century + 23, 2, 10)
    code = make_code(born, 500, sign)
    assert hetu.is_valid(code)
    assert hetu.birth_date(code) == born
    assert hetu.mask(f"kod {code}.") == (f"kod {hetu.MASK}.", 1)
    assert hetu.mask(f"kod {code.lower()}.") == (f"kod {hetu.MASK}.", 1)
    assert [m.valid for m in hetu.find(code)] == [True]
    # 29 February 00 exists in 2000 only (1800 and 1900 were not leap years): the
    # sign must select its own century
    leap_day = "290200" + sign + "500" + hetu.check_char("290200", "500")
    assert hetu.is_valid(leap_day) == (century == 2000)
