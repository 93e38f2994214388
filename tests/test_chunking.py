from assistant.types import Page
from indexers.chunking import chunk_pages, make_splitter


def test_offsets_point_into_the_page_and_chunks_never_cross_pages():
    text = " ".join(f"Sentence number {i} of the minutes says something about the archive." for i in range(80))
    pages = [Page("/x/a.pdf", 1, text), Page("/x/a.pdf", 2, "Short second page.")]
    chunks = chunk_pages(pages, "hash", make_splitter(60, 10, None))
    assert len(chunks) > 3
    for c in chunks:
        page = pages[c.page - 1]
        assert page.text[c.char_start:c.char_end] == c.text
        assert len(c.text) <= 60 * 4
    assert chunks[-1].page == 2 and chunks[-1].text == "Short second page."
    assert len({c.id for c in chunks}) == len(chunks)


def test_ids_are_stable_and_depend_on_content():
    pages = [Page("/x/a.pdf", 1, "Alpha beta gamma.")]
    splitter = make_splitter(50, 5, None)
    assert chunk_pages(pages, "h1", splitter)[0].id == chunk_pages(pages, "h1", splitter)[0].id
    assert chunk_pages(pages, "h1", splitter)[0].id != chunk_pages(pages, "h2", splitter)[0].id


def test_token_length_function_bounds_chunks():
    count = lambda t: len(t.split())  # noqa: E731 - a tokenizer stand-in: one token a word
    text = " ".join(["word"] * 500)
    chunks = chunk_pages([Page("f", 1, text)], "h", make_splitter(100, 10, count))
    assert all(count(c.text) <= 100 for c in chunks)


def test_repeated_text_gets_distinct_ids_and_offsets():
    """A page that repeats one sentence (minutes, forms): overlapping chunks have the same text."""
    text = "Volume 0, page 1: minutes of the harbour board, item 1. " * 12
    chunks = chunk_pages([Page("/d/v.pdf", 1, text)], "h", make_splitter(128, 32, lambda t: 2 * len(t.split())))
    assert len(chunks) == 3 and len({c.id for c in chunks}) == len(chunks)
    starts = [c.char_start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(text[c.char_start:c.char_end] == c.text for c in chunks)
