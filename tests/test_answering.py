"""The answering stages alone, on a scripted backend and fixed hits, where every outcome is known.

The real llama.cpp, servers and models answer in tests/test_ask.py, test_isolated.py and test_remote.py.
"""

import threading

import pytest
from fakes import HashEmbedder, ScriptedBackend

from assistant.answering import Generated, answer_stream, decide, generate, retrieve
from assistant.citations import NOT_FOUND_TEXT, AnswerFilter
from assistant.errors import BackendError
from assistant.llm import GenerationOptions
from assistant.prompting import NOT_FOUND_SENTINEL
from assistant.refusal import Refusal
from assistant.types import Answer, Chunk, Hit

OPTIONS = GenerationOptions(max_tokens=64, temperature=0.0)


def hit(i: int, score: float, text: str = "") -> Hit:
    return Hit(Chunk(f"id{i}", f"/docs/file{i}.pdf", i + 1, 0, 10, text or f"Passage {i} about the archive."), score)


HITS = [hit(1, 0.91, "The archive opened in 1802."), hit(2, 0.85), hit(3, 0.42)]


class FixedRetriever:
    """Returns the given hits, best first, whatever the question."""

    def __init__(self, hits):
        self.hits, self.questions = list(hits), []

    def search(self, question, k):
        self.questions.append(question)
        return self.hits[:k]


def run(backend, hits=HITS, *, min_score=0.5, stop=None, history=(), k=5):
    """answer_stream on `backend`: (shown pieces, final Answer, times the backend was asked for)."""
    asked = []

    def get_backend():
        asked.append(1)
        return backend

    items = list(answer_stream("When did the archive open?", retriever=FixedRetriever(hits), k=k,
                               refusal=Refusal(min_score), backend=get_backend, configured=("local", "configured-model"),
                               options=OPTIONS, history=history, stop=stop))
    assert isinstance(items[-1], Answer) and all(isinstance(i, str) for i in items[:-1])
    return items[:-1], items[-1], len(asked)


# ---- retrieve and decide
def test_retrieve_returns_the_top_k_and_its_time():
    retriever = FixedRetriever(HITS)
    found = retrieve(retriever, "q", 2)
    assert found.hits == tuple(HITS[:2]) and found.seconds >= 0 and retriever.questions == ["q"]


def test_decide_keeps_passages_at_or_above_the_threshold():
    d = decide(Refusal(0.85), HITS, 5)
    assert d.answer and d.passages == tuple(HITS[:2]) and d.score == 0.91
    assert decide(Refusal(0.4), HITS, 1).passages == (HITS[0],)  # at most k
    refused = decide(Refusal(0.95), HITS, 5)
    assert not refused.answer and refused.passages == () and "0.950" in refused.reason
    assert (refused.score, refused.threshold) == (0.91, 0.95)
    assert not decide(Refusal(0.0), [], 5).answer


def test_refusal_does_not_load_or_call_the_model():
    backend = ScriptedBackend()
    pieces, answer, loads = run(backend, min_score=0.99)
    assert loads == 0 and backend.calls == [] and pieces == []
    assert not answer.found and answer.text == NOT_FOUND_TEXT and answer.citations == ()
    assert (answer.backend, answer.model) == ("local", "configured-model")  # named without loading it
    assert answer.refused is not None and answer.refused.threshold == 0.99


# ---- generate: what the user sees while it streams
def test_answer_streams_and_cites_the_passages_it_marks():
    backend = ScriptedBackend(["The archive ", "opened in 1802 ", "[1]", "."])
    pieces, answer, loads = run(backend)
    assert loads == 1 and len(backend.calls) == 1
    assert "".join(pieces) == "The archive opened in 1802 [1]."
    assert answer.found and answer.text == "The archive opened in 1802 [1]."
    assert [(c.n, c.file, c.page) for c in answer.citations] == [(1, "/docs/file1.pdf", 2)]
    assert answer.citations[0].quote == "The archive opened in 1802."
    assert answer.retrieved == tuple(HITS[:2])  # the passages above the threshold, as given
    assert answer.timings.first_token_s is not None and answer.timings.tokens_per_s > 0


def test_a_marker_pointing_at_no_passage_is_dropped_while_streaming():
    backend = ScriptedBackend(["Opened in 1802", "[", "7", "] and ", "[2, ", "9]", " again."])
    pieces, answer, _ = run(backend)  # two passages given: [7] and 9 point at nothing
    assert "".join(pieces) == "Opened in 1802 and [2] again."
    assert "7" not in answer.text and "9" not in answer.text
    # passage 2 does not hold 1802, passage 1 does: verification re-points the marker and says so
    assert [c.n for c in answer.citations] == [1] and answer.sentences[0].corrected_from == (2,)


def test_the_not_found_sentinel_is_held_back_and_becomes_the_refusal():
    backend = ScriptedBackend(["NOT_", "IN_DOC", "UMENTS"])
    pieces, answer, _ = run(backend)
    assert pieces == []  # never flashed on screen
    assert not answer.found and answer.text == NOT_FOUND_TEXT and answer.citations == ()


def test_a_start_like_the_sentinel_is_released_once_it_differs():
    pieces = []
    shown = AnswerFilter(n_blocks=2)
    for piece in ["NOT", "_IN", " all records survived [1]."]:
        pieces.append(shown.feed(piece))
    pieces.append(shown.flush())
    assert pieces[:2] == ["", ""] and "".join(pieces) == "NOT_IN all records survived [1]."
    assert NOT_FOUND_SENTINEL.startswith("NOT_IN")


def test_generate_ends_with_its_record():
    backend = ScriptedBackend(["a", "b", "c"])
    items = list(generate(backend, [{"role": "user", "content": "x"}], OPTIONS, n_blocks=1))
    assert items[:-1] == ["a", "b", "c"]
    gen = items[-1]
    assert isinstance(gen, Generated) and gen.raw == "abc" and gen.pieces == 3 and not gen.stopped
    assert gen.started <= gen.first <= gen.ended


# ---- stop
def test_stop_before_the_first_piece_asks_nothing_and_claims_nothing():
    backend = ScriptedBackend()
    stop = threading.Event()
    stop.set()  # pressed while the models loaded
    pieces, answer, loads = run(backend, stop=stop)
    assert loads == 1 and backend.calls == [] and pieces == []
    assert answer.text == "" and not answer.found and answer.retrieved == ()  # not "not in your documents"


def test_stop_after_the_first_piece_ends_the_stream_there():
    stop = threading.Event()
    shown = []

    class StopAfterFirst(ScriptedBackend):
        def stream(self, messages, options):
            for piece in super().stream(messages, options):
                yield piece
                if shown:
                    stop.set()

    backend = StopAfterFirst(["One ", "two ", "three ", "four."])
    for item in answer_stream("q", retriever=FixedRetriever(HITS), k=5, refusal=Refusal(0.5), backend=lambda: backend,
                              configured=("local", "m"), options=OPTIONS, stop=stop):
        if isinstance(item, str):
            shown.append(item)
        else:
            answer = item
    assert shown == ["One "]
    assert backend.yielded == 2  # the piece in hand when Stop came is not shown, and no more are asked
    assert answer.text.startswith("One") and "four" not in answer.text


def test_interrupt_while_the_model_reads_the_prompt_ends_without_text():
    backend = ScriptedBackend(["late ", "text."], stall_at=0)
    stop = threading.Event()
    result = {}

    def ask():
        result["items"] = list(answer_stream("q", retriever=FixedRetriever(HITS), k=5, refusal=Refusal(0.5),
                                             backend=lambda: backend, configured=("local", "m"), options=OPTIONS,
                                             stop=stop))

    t = threading.Thread(target=ask)
    t.start()
    assert backend.stalled.wait(10)
    stop.set()  # what Stop does: the event, then interrupt()
    backend.interrupt()
    t.join(10)
    assert not t.is_alive()
    answer = result["items"][-1]
    assert result["items"][:-1] == [] and answer.text == "" and not answer.found


def test_a_backend_failure_mid_answer_keeps_what_was_shown_and_marks_it_incomplete():
    backend = ScriptedBackend(["Half ", "an answer", " never finished."], fail_at=2)
    shown, answer, _ = run(backend)
    assert "".join(shown) == "Half an answer" and answer.text == "Half an answer"
    assert "told to fail" in answer.incomplete and answer.constrained == ""


def test_a_backend_failure_before_any_text_is_raised():
    with pytest.raises(BackendError, match="told to fail"):
        run(ScriptedBackend(["Never ", "shown."], fail_at=0))


# ---- prompt and history reach the model
def test_the_model_gets_the_passages_and_the_history_without_markers():
    backend = ScriptedBackend(["Yes [1]."])
    run(backend, history=[("Earlier question?", "Earlier answer [2].")])
    messages = backend.calls[0]
    assert messages[0]["role"] == "system"
    assert {"role": "assistant", "content": "Earlier answer."} in messages
    assert "[1] (file1.pdf, p. 2)" in messages[-1]["content"] and "file3.pdf" not in messages[-1]["content"]


def test_hash_embedder_ranks_shared_words_first():
    """The fake embedder behaves like an embedder should for the unit tests that rely on it."""
    emb = HashEmbedder()
    q = emb.embed_query("reading room closed")
    docs = emb.embed_documents(["the reading room was closed", "budget of the newspaper digitisation"])
    assert float(docs[0] @ q) > float(docs[1] @ q)


# ---- what the CLI prints after the answer, on both paths
def test_cli_lists_sources_when_the_answer_cites():
    from assistant.cli import sources_lines

    _, answer, _ = run(ScriptedBackend(["Opened in 1802 [1]."]))
    assert sources_lines(answer) == ["", "Sources:", "[1] /docs/file1.pdf, p. 2"]


def test_cli_lists_retrieved_passages_not_citations_when_the_answer_cites_nothing():
    from assistant.cli import sources_lines

    _, answer, _ = run(ScriptedBackend(["It opened in 1802."]))
    assert answer.found and answer.citations == ()
    lines = sources_lines(answer)
    assert answer.verified == "none" and lines[1].startswith("Unverified: the answer cites no passage")
    assert lines[-3] == "The answer cites no passage. Retrieved passages (not citations):"
    assert lines[-2:] == ["  /docs/file1.pdf, p. 2 (score 0.91)", "  /docs/file2.pdf, p. 3 (score 0.85)"]
    assert "Sources:" not in lines


def test_cli_lists_nothing_after_a_refusal():
    from assistant.cli import sources_lines

    _, answer, _ = run(ScriptedBackend(), min_score=0.99)
    assert sources_lines(answer) == []


# ---- constrain: the citation grammar, and what the answer says about it
def test_the_grammar_names_exactly_the_passages_given_and_the_prompt_hash_is_of_what_was_sent():
    from assistant.audit import prompt_hash

    backend = ScriptedBackend()
    _, answer, _ = run(backend)
    grammar = backend.options[0].grammar
    assert grammar and 'num ::= "1" | "2"\n' in grammar  # two passages passed the threshold
    assert answer.prompt_hash == prompt_hash(backend.calls[0])
    assert answer.constrained == ""  # the scripted backend cannot apply a grammar, and says so


class IgnoresGrammar(ScriptedBackend):
    """Claims a grammar dialect, as a server configured for one does, and writes what it likes."""

    grammar = "llama.cpp"


def test_an_answer_outside_the_grammar_is_not_called_constrained():
    _, free, _ = run(IgnoresGrammar(["The archive opened in 1802 without a marker at all."]))
    assert free.constrained == "" and "did not follow the citation grammar" in free.notice
    _, kept, _ = run(IgnoresGrammar(["The archive opened in 1802 ", "[1]."]))
    assert kept.constrained == "llama.cpp" and kept.notice == ""
    # cut by the token limit: ends mid-sentence, proves nothing about the server
    _, cut, _ = run(IgnoresGrammar([f"w{i} " for i in range(OPTIONS.max_tokens)]))
    assert cut.constrained == "llama.cpp" and cut.notice == ""


def test_generation_ends_where_a_sentence_repeats_and_the_answer_leaves_it_out():
    backend = ScriptedBackend(["The archive opened in 1802 [1]. ", "It has a reading room [2]. ", "The archive ",
                               "opened in 1802 [2].", " It has more text."])
    shown, answer, _ = run(backend)
    assert answer.text == "The archive opened in 1802 [1]. It has a reading room [2]."
    assert backend.yielded == 4  # the rest was never asked for
    assert "".join(shown).strip() == answer.text  # the repeat was held back while it read like one, never shown
