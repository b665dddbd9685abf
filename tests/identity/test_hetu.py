"""HETU detection: real test codes, generated valid codes, and look-alikes that
must stay untouched."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
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


def make_code(born: date, individual: int, sign: str) -> str:
    ddmmyy = born.strftime("%d%m") + f"{born.year % 100:02d}"
    zzz = f"{individual:03d}"
    return f"{ddmmyy}{sign}{zzz}{hetu.check_char(ddmmyy, zzz)}"


@st.composite
def valid_codes(draw):
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)))
    sign = draw(st.sampled_from(SIGNS[born.year // 100 * 100]))
    return make_code(born, draw(st.integers(2, 999)), sign)


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


@given(valid_codes(), st.sampled_from(hetu.CHECK_CHARS))
def test_wrong_check_character_is_still_masked_but_not_valid(code, wrong):
    if wrong == code[-1]:
        return
    typo = code[:-1] + wrong
    assert hetu.mask(typo) == (hetu.MASK, 1)
    assert [m.valid for m in hetu.find(typo)] == [False]


LOOKALIKES = st.one_of(
    # Finnish and international phone numbers
    st.from_regex(r"\A(\+358 ?|0)(40|50|44|45|46|9)[ -]?\d{3}[ -]?\d{3,4}\Z"),
    # dates in every common form
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.strftime("%d%m%y")),
    # business IDs (Y-tunnus) NNNNNNN-N
    st.from_regex(r"\A\d{7}-\d\Z"),
    # bank reference numbers and ordinary numbers
    st.integers(0, 10**12).map(str),
    # times and ranges
    st.from_regex(r"\A\d{1,2}[:.]\d{2} ?- ?\d{1,2}[:.]\d{2}\Z"),
)


@settings(max_examples=300)
@given(LOOKALIKES)
def test_lookalikes_are_not_masked(text):
    assert hetu.mask(text) == (text, 0)


def test_code_inside_a_longer_token_is_not_a_code():
    assert hetu.mask("X010280-952LX")[1] == 0
    assert hetu.mask("1010280-952L")[1] == 0


def test_two_codes_both_masked():
    text = "010280-952L och 010469-999W"
    assert hetu.mask(text) == (f"{hetu.MASK} och {hetu.MASK}", 2)


def test_dates_around_leap_days():
    leap = make_code(date(2000, 2, 29), 123, "A")
    assert hetu.is_valid(leap)
    not_leap = "290201A123" + hetu.check_char("290201", "123")
    assert not hetu.is_valid(not_leap)
    assert hetu.mask(not_leap)[1] == 1  # shaped like one: masked anyway


def test_generated_dates_span_all_centuries():
    born = date(2023, 1, 1) + timedelta(days=40)
    for sign in "ABCDEF":
        assert hetu.is_valid(make_code(born, 500, sign))
