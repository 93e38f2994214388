"""Chat history per collection and its Markdown export (plain logic, no models)."""

import pytest

from assistant.chats import ChatStore, Turn, chat_to_markdown, new_chat, turn_to_markdown
from assistant.errors import ConfigError
from assistant.types import Answer, Chunk, Citation, Hit


def answer(citations=(), retrieved=(), found=True, text="Closed in 1923 [1].") -> Answer:
    return Answer(question="When?", text=text, found=found, citations=tuple(citations),
                  retrieved=tuple(retrieved), backend="local", model="m")


HIT = Hit(Chunk("c1", "/docs/report.pdf", 2, 0, 30, "The reading room was closed."), 0.91)


def test_turns_keep_citations_or_mark_retrieved_passages_as_not_citations():
    cited = Turn.from_answer(answer([Citation(1, "/docs/report.pdf", 2, "The reading room", 0.91234)], [HIT]))
    assert cited.cited and cited.sources[0].page == 2 and cited.sources[0].score == 0.9123
    uncited = Turn.from_answer(answer([], [HIT], text="Closed in 1923."))
    assert not uncited.cited and uncited.sources[0].quote == HIT.chunk.text
    not_found = Turn.from_answer(answer([], [], found=False, text="Not in your documents."))
    assert not_found.sources == ()


def test_chats_round_trip_per_collection_and_history_skips_failures(tmp_path):
    store = ChatStore(tmp_path)
    chat = new_chat("first")
    chat.turns += [Turn.from_answer(answer([], [HIT])), Turn.failed("Why?", "server down"),
                   Turn.from_answer(answer([], [HIT]), stopped=True)]
    store.save("archive", [chat])
    assert store.load("other") == []
    loaded = store.load("archive")
    assert loaded[0].turns == chat.turns and loaded[0].title == "first"
    assert [q for q, _ in loaded[0].history()] == ["When?", "When?"]
    store.rename("archive", "renamed")
    assert store.load("archive") == [] and store.load("renamed")[0].id == chat.id
    raw = (tmp_path / "chats" / "renamed.json").read_text()
    (tmp_path / "chats" / "renamed.json").write_text(raw.replace('"stopped"', '"rating": 5, "stopped"'))
    assert store.load("renamed")[0].turns == chat.turns  # a newer version's extra field is ignored
    (tmp_path / "chats" / "renamed.json").write_text("{broken")
    with pytest.raises(ConfigError, match="renamed.json: unreadable chat history.*kept as renamed.json.unr"):
        store.load("renamed")
    assert store.load("renamed") == []  # moved aside: the next save cannot overwrite it
    assert [p.read_text() for p in (tmp_path / "chats").glob("renamed.json.unreadable-*")] == ["{broken"]
    with pytest.raises(ConfigError, match="invalid collection name"):
        store.load("../etc")


def test_markdown_export_names_file_page_and_quote():
    chat = new_chat("Reading room")
    chat.turns += [Turn.from_answer(answer([Citation(1, "/docs/report.pdf", 2, "The reading\nroom", 0.9)])),
                   Turn.failed("Why?", "remote server down"),
                   Turn.from_answer(answer([], [HIT]), stopped=True)]
    md = chat_to_markdown(chat, "archive")
    assert md.startswith("# Reading room") and "Collection: archive" in md
    assert "1. report.pdf, p. 2 — “The reading room”" in md and "`/docs/report.pdf`" in md
    assert "*Error:* remote server down" in md and "*(stopped before the end)*" in md
    assert "**Retrieved passages (not citations):**" in md
    assert turn_to_markdown(chat.turns[0], {"q": "K:", "page": "s."}).startswith("**K:** When?")
    assert "report.pdf, s. 2" in turn_to_markdown(chat.turns[0], {"q": "K:", "page": "s."})


def test_collections_are_named_in_their_own_languages(settings_for, samples, tmp_path):
    """Any printable name (trimmed, at most 64, unique case-insensitively) works end to end: index, ask,
    status, rename with its chats, delete; the store and the chat file use a safe id made from it."""
    import json

    from conftest import run_cli

    from assistant.chats import ChatStore, new_chat
    from assistant.engine import build_assistant

    a = build_assistant(settings_for())
    for _ in a.index([str(samples)], "  Sjöfartsarkivet "):
        pass
    assert [c.name for c in a.collections()] == ["Sjöfartsarkivet"]
    assert a.ask("When was the reading room closed?", collection="Sjöfartsarkivet").retrieved
    with pytest.raises(ConfigError, match="already exists"):
        a.create_collection("SJÖFARTSARKIVET")
    chats = ChatStore(a.data)
    chat = new_chat("first")
    chats.save("Sjöfartsarkivet", [chat])
    a.rename_collection("Sjöfartsarkivet", "Pöytäkirjat 1920–1939")
    chats.rename("Sjöfartsarkivet", "Pöytäkirjat 1920–1939")
    assert [c.title for c in chats.load("Pöytäkirjat 1920–1939")] == ["first"]
    assert all(p.name.isascii() for p in (a.data / "chats").iterdir())
    assert a.collection_status("Pöytäkirjat 1920–1939").store_chunks > 0
    a.close()
    out = run_cli("status", "--json")
    assert out.returncode == 0 and "Pöytäkirjat 1920–1939" in json.dumps(json.loads(out.stdout), ensure_ascii=False)
    for bad, why in [("a/b", "holds '/'"), ("", "empty"), ("x" * 65, "longer than 64"), ("-flag", "starts with"),
                     ("tab\there", "it holds '")]:
        with pytest.raises(ConfigError, match=why):
            build_assistant(settings_for()).create_collection(bad)
