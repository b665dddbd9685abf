"""Crisis phrases found in real sentences in each language, with the defaults the
migration installs; look-alikes that must not match."""

import pytest

from crisis import selectors
from crisis.matching import Phrase, find, fold
from crisis.models import CrisisPhrase

pytestmark = pytest.mark.django_db

FOUND = [
    # Swedish
    ("Jag har tänkt på självmord i flera veckor.", "självmord"),
    ("Ibland vill jag bara ta livet av mig", "ta livet av mig"),
    ("jag VILL DÖ", "VILL DÖ"),
    ("jag vill inte leva längre", "vill inte leva"),
    ("Jag har börjat skära mig igen", "skära mig"),
    ("Hon tog en överdos igår", "överdos"),
    ("min man hotar att döda mig", "hotar att döda"),
    ("jag orkar inte leva sa hon", "orkar inte leva"),
    # Finnish, inflected
    ("Olen miettinyt itsemurhaa.", "itsemurhaa"),
    ("Pelkään että tapan itseni", "tapan itseni"),
    ("En jaksa elää enää", "En jaksa elää"),
    ("haluan kuolla", "haluan kuolla"),
    ("Olen viiltänyt itseäni", "viiltänyt itseäni"),
    ("otin yliannostuksen", "yliannostuksen"),
    ("Mieheni uhkaa tappaa minut", "uhkaa tappaa"),
    # English
    ("I think about suicide every day", "suicide"),
    ("I'm going to kill myself", "kill myself"),
    ("I DON'T WANT TO LIVE anymore", "DON'T WANT TO LIVE"),
    ("sometimes I want to die", "want to die"),
    ("I self-harm when it gets bad", "self-harm"),
    # Diacritics left out (a foreign keyboard), odd spacing and punctuation
    ("jag vill  do!!", "vill  do"),
    ("Itsemurha-ajatuksia", "Itsemurha"),
]

NOT_FOUND = [
    "Jag vill ta livet lugnt nu",
    "Får jag hänga med till mottagningen?",
    "Det slår mig att jag glömt min tid",
    "I want to diet and exercise more",
    "My phone battery is dying, call me later",
    "We need to kill time before the appointment",
    "The invoice is overdue",
    "Haluan kuulla lisää rokotuksista",
    "Tapasin lääkärin eilen",
    "Akku kuoli kesken puhelun",
    "Itsenäinen asuminen kiinnostaa",
    "Vill du ha min nya adress?",
]


@pytest.mark.parametrize(("text", "words"), FOUND)
def test_real_phrases_are_found_where_they_are(text, words):
    found = find(text, selectors.phrases())
    assert found is not None, text
    assert text[found.start : found.end] == words


@pytest.mark.parametrize("text", NOT_FOUND)
def test_look_alikes_are_not_found(text):
    assert find(text, selectors.phrases()) is None


def test_the_defaults_cover_each_language():
    for language in ("sv", "fi", "en"):
        assert CrisisPhrase.objects.filter(language=language, is_active=True).count() >= 10


def test_an_administrators_new_phrase_counts_and_an_inactive_one_does_not():
    selectors.forget_phrases()
    assert find("känner mig helt hopplös", selectors.phrases()) is None
    phrase = CrisisPhrase.objects.create(language="sv", phrase="hopplös*")
    selectors.forget_phrases()
    found = find("känner mig helt hopplös", selectors.phrases())
    assert found is not None and found.phrase == "hopplös*"
    phrase.is_active = False
    phrase.save()
    selectors.forget_phrases()
    assert find("känner mig helt hopplös", selectors.phrases()) is None


def test_folding_keeps_positions():
    text = "ÅÄÖ åäö Ærø ß ﬁ"
    assert len(fold(text)) == len(text)
    assert fold("MÅR DÅLIGT") == "mar daligt"


def test_a_phrase_without_words_is_ignored():
    assert Phrase.parse(" *** ") is None
    assert find("anything", [p for p in [Phrase.parse("")] if p]) is None


def test_prefix_only_on_the_starred_word():
    phrase = Phrase.parse("tappaa itse*")
    assert phrase is not None
    assert find("hän haluaa tappaa itsensä", [phrase])
    assert find("tappaako itsensä", [phrase]) is None


def test_the_ascii_fast_path_folds_exactly_as_the_general_one():
    from crisis.matching import _fold_char

    every_ascii = "".join(chr(c) for c in range(128))
    assert fold(every_ascii) == "".join(map(_fold_char, every_ascii))
    assert fold("MÅR Ääliö") == "mar aalio"


def test_the_earliest_phrase_wins_and_the_longest_of_those_starting_there():
    phrases = [p for p in map(Phrase.parse, ["vill dö", "vill", "dö*", "ta livet av mig"]) if p]

    def found(text):
        match = find(text, phrases)
        return match and (match.phrase, match.start, match.end)

    assert found("jag vill dö, ja dödens") == ("vill dö", 4, 11)
    assert found("ta livet av mig") == ("ta livet av mig", 0, 15)
    assert found("jag dör") == ("dö*", 4, 7)


def test_of_two_phrases_over_the_same_words_the_first_listed_wins():
    """As before the index: the administrator's order (language, phrase) decides a tie."""
    first, second = (p for p in map(Phrase.parse, ["itsemurh*", "itsemurha"]) if p)
    assert (found := find("itsemurha", [first, second])) and found.phrase == "itsemurh*"
    assert (found := find("itsemurha", [second, first])) and found.phrase == "itsemurha"
