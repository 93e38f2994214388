"""locate_quote: a pypdf quote found in PDFium page text despite whitespace, hyphens and ligatures."""

from __future__ import annotations

import pytest

from assistant.evidence import locate_quote

PAGE = ("Reading room\r\nThe reading room was closed from 4 March to 30 April 1923 while electric lighting "
        "was\r\ninstalled. During the rest of the year it received 2,310 visits, most of them by\r\n"
        "genealogists and students of maritime history.")


def found(page: str, quote: str) -> str:
    span = locate_quote(page, quote)
    assert span is not None, quote
    return page[span[0]:span[1]]


def test_exact_quote():
    assert found(PAGE, "it received 2,310 visits") == "it received 2,310 visits"


def test_line_breaks_and_spaces_differ():
    quote = "lighting was\ninstalled.  During the rest"
    assert found(PAGE, quote) == "lighting was\r\ninstalled. During the rest"


def test_case_and_punctuation_differ():
    assert found(PAGE, "“THE READING ROOM WAS CLOSED”") == "The reading room was closed"


def test_range_covers_whole_quote():
    quote = PAGE.replace("\r\n", "\n")[13:200]
    start, end = locate_quote(PAGE, quote)
    assert PAGE[start:end].split() == quote.split()


@pytest.mark.parametrize("page, quote, expected", [
    ("The collection of manu-\r\nscripts is kept in the store.", "collection of manuscripts is kept",
     "collection of manu-\r\nscripts is kept"),
    ("The collection of manuscripts is kept in the store.", "collection of manu-\nscripts is kept",
     "collection of manuscripts is kept"),
    ("The collection of manu\u00ad\r\nscripts is kept.", "collection of manuscripts is kept",
     "collection of manu\u00ad\r\nscripts is kept"),
    ("Yes, the in\x02\r\nventory is new.", "the inventory is new", "the in\x02\r\nventory is new"),
    ("The oﬃcial ﬁles were ﬂooded in 1921.", "official files were flooded", "oﬃcial ﬁles were ﬂooded"),
    ("The official files were flooded in 1921.", "oﬃcial ﬁles were ﬂooded", "official files were flooded"),
    ("Hänen palkakseen päätettiin 18 000 markkaa vuodessa.",
     "Ha\u0308nen palkakseen pa\u0308a\u0308tettiin 18000 mark kaa",
     "Hänen palkakseen päätettiin 18 000 markkaa"),
], ids=["hyphen-in-page", "hyphen-in-quote", "soft-hyphen", "pdfium-hyphen-marker", "ligatures-in-page",
        "ligatures-in-quote", "decomposed-accents-and-split-word"])
def test_extractors_spell_the_passage_differently(page, quote, expected):
    assert found(page, quote) == expected


def test_truncated_last_word():
    assert found(PAGE, "most of them by genealogists and stud") == "most of them by\r\ngenealogists and stud"


def test_falls_back_to_longest_run_of_words():
    quote = ("During the rest of the year it received 2,310 visits [figure 3 omitted] most of them by "
             "genealogists")
    assert found(PAGE, quote) == "During the rest of the year it received 2,310 visits"


def test_fallback_when_extractors_differ_in_the_middle():
    page = PAGE.replace("2,310", "2.31O")
    quote = "closed from 4 March to 30 April 1923 while electric lighting was installed. During the rest " \
            "of the year it received 2,310 visits"
    assert found(page, quote) == ("closed from 4 March to 30 April 1923 while electric lighting was\r\n"
                                  "installed. During the rest of the year it received 2")


def test_nothing_reasonable_matches():
    assert locate_quote(PAGE, "The archive received 1,240 volumes of customs records") is None
    assert locate_quote(PAGE, "of the year 1999") is None  # a common phrase is not the passage
    assert locate_quote(PAGE, "") is None
    assert locate_quote("", "The reading room") is None
    assert locate_quote(PAGE, " ... ") is None


def test_short_run_of_long_quote_is_not_enough():
    quote = ("The archive received 1,240 volumes of customs records from the port office while the reading "
             "room was shut for repairs and painting during the spring")
    assert locate_quote(PAGE, quote) is None  # 4 shared words out of 25


def test_long_page_and_quote():
    filler = " ".join(f"word{i} text{i % 7}" for i in range(800))
    page = filler + " " + PAGE + " " + filler
    quote = ("Reading room The reading room was closed from 4 March to 30 April 1923 while electric "
             "lighting was installed. Throughout the rest of the year it received 2,310 visits, most of "
             "them by genealogists and students of maritime history.")
    assert found(page, quote) == ("the rest of the year it received 2,310 visits, most of them by\r\n"
                                  "genealogists and students of maritime history")
