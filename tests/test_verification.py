"""Each cited sentence checked against its passage: the rules alone, then on the real multilingual-e5."""

import pytest
from conftest import E5
from fakes import ScriptedBackend
from test_answering import run

from assistant.cli import sources_lines
from assistant.engine import build_assistant
from assistant.types import Chunk, Hit
from assistant.verification import missing_facts, remark, split_sentences, verify

FI = ("Kaupunginarkiston johtajaksi valittiin 4.3.1921 filosofian maisteri Aino Virtasen. Lukusali suljettiin "
      "toukokuussa 1923 sähkötöiden vuoksi.")
SV = "Riksarkivets läsesal stängdes i maj 1923 på grund av elarbeten och öppnades igen i september."


def hit(n: int, text: str) -> Hit:
    return Hit(Chunk(f"c{n}", f"/docs/d{n}.pdf", n, 0, len(text), text), 0.85)


def test_sentences_keep_their_markers_even_after_the_full_stop():
    text = "Founded in 1802 [1]. It moved in 1921. [2] Virtanen led it [1][2]. No marker."
    assert split_sentences(text) == [("Founded in 1802.", (1,)), ("It moved in 1921.", (2,)),
                                     ("Virtanen led it.", (1, 2)), ("No marker.", ())]
    assert remark(text, {1: (3,)}) == "Founded in 1802 [1]. It moved in 1921 [3]. Virtanen led it [1][2]. No marker."


def test_numbers_dates_and_names_must_occur_in_the_passage():
    assert missing_facts("Aino Virtanen was elected director on 4 March 1921.", FI) == []  # 4.3.1921, Virtasen
    assert missing_facts("Aino Virtanen was elected director on 4 March 1925.", FI) == ["1925"]
    assert missing_facts("Pekka Korhonen was elected in April 1921.", FI) == ["April", "Korhonen"]
    assert missing_facts("It cost 1,200 marks.", "Hinta oli 1 200 markkaa.") == []


def test_a_wrong_marker_is_corrected_and_a_planted_year_flagged_without_an_embedder():
    given = [hit(1, SV), hit(2, FI)]
    check = verify(split_sentences("Aino Virtanen became director in 1921 [1]. The reading room closed in 1925 [1]. "
                                   "Hello."), given, None)
    first, second, third = check.sentences
    assert (first.support, first.citations, first.corrected_from) == ("supported", (2,), (1,))
    assert second.support == "unsupported" and second.missing == ("1925",)
    assert third.support == "uncited" and check.verified == "partial"


def test_the_answer_carries_its_verdicts_to_the_cli():
    hits = [hit(1, "The archive opened in 1802."), hit(2, "Passage about the reading room.")]
    _, answer, _ = run(ScriptedBackend(["The archive opened in 1802 [1]. It closed in 1850 [1]."]), hits=hits)
    assert answer.verified == "partial" and [c.support for c in answer.sentences] == ["supported", "unsupported"]
    assert answer.citations[0].supported is True
    lines = sources_lines(answer)
    assert any("It closed in 1850. — not found in [1] (not in the passage: 1850)" in line for line in lines)


@pytest.fixture
def e5(settings_for):
    a = build_assistant(settings_for(embedding_model=E5))
    yield a.embedder()
    a.close()


def test_a_correct_cross_lingual_sentence_is_supported_and_a_sentence_from_elsewhere_is_not(e5):
    given = [hit(1, FI), hit(2, SV)]
    check = verify(split_sentences("The reading room was closed in May 1923 because of electrical work [1]. "
                                   "The archive bought a new printing press [2]."), given, e5)
    good, bad = check.sentences
    assert good.support == "supported" and good.citations == (1,) and good.score > 0.8
    assert bad.support == "unsupported" and check.verified == "partial"


class FailingEmbedder:
    def embed_queries(self, texts):
        from assistant.errors import BackendError
        raise BackendError("embedding server went away")

    embed_documents = embed_queries


def test_an_embedder_failing_at_verification_keeps_the_answer_and_checks_the_facts():
    from assistant.answering import check
    from assistant.citations import build_answer
    from assistant.types import Timings

    given = [hit(1, FI)]
    answer = build_answer("q", "Virtanen was elected in 1925 [1].", given, backend="local", model="m", timings=Timings())
    checked = check(answer, FailingEmbedder())
    assert checked.found and checked.verified == "none" and checked.sentences[0].missing == ("1925",)


def test_the_chat_keeps_what_was_not_verified():
    from assistant.chats import Turn, turn_to_markdown

    hits = [hit(1, "The archive opened in 1802."), hit(2, "Passage about the reading room.")]
    _, answer, _ = run(ScriptedBackend(["The archive opened in 1802 [1]. It closed in 1850 [1]. It was nice."]),
                       hits=hits)
    turn = Turn.from_answer(answer)
    assert turn.verified == "partial"
    assert turn.unsupported == ("It closed in 1850. — not found in [1] (not in the passage: 1850)",
                                "It was nice. — cites no passage")
    assert "- It closed in 1850. — not found in [1]" in turn_to_markdown(turn)
    # the app underlines exactly those sentences in the answer, with why in the tooltip
    assert [turn.text[a:b] for a, b, _ in turn.marks] == ["It closed in 1850 [1].", "It was nice."]


def test_the_app_underlines_unverified_sentences_with_a_tooltip(qtbot):
    from PySide6.QtGui import QTextCharFormat, QTextCursor

    from assistant.chats import Chat, Turn
    from ui.chat_view import ChatView

    hits = [hit(1, "The archive opened in 1802."), hit(2, "Passage about the reading room.")]
    _, answer, _ = run(ScriptedBackend(["The archive opened in 1802 [1]. It closed in 1850 [1]."]), hits=hits)
    view = ChatView()
    qtbot.addWidget(view)
    view.show_chat(Chat("c", "t", 0.0, [Turn.from_answer(answer)]))
    doc = view.transcript.document()
    plain = doc.toPlainText()

    def format_at(phrase: str) -> QTextCharFormat:
        cursor = QTextCursor(doc)
        cursor.setPosition(plain.index(phrase) + 2)
        return cursor.charFormat()

    bad, good = format_at("It closed in 1850"), format_at("The archive opened")
    assert bad.underlineStyle() == QTextCharFormat.UnderlineStyle.DotLine
    assert "not found in [1]" in bad.toolTip() and "1850" in bad.toolTip()
    assert good.toolTip() == "" and good.underlineStyle() != QTextCharFormat.UnderlineStyle.DotLine
    assert "source:0/1" in view.transcript.toHtml()  # the markers inside the underline stay links


class FixedSimilarity:
    """Every sentence is at cosine `score` from every passage sentence."""

    def __init__(self, score: float):
        self.score = score

    def embed_queries(self, texts):
        import numpy as np

        return np.array([[1.0, 0.0]] * len(texts))

    def embed_documents(self, texts):
        import numpy as np

        return np.array([[self.score, (1 - self.score ** 2) ** 0.5]] * len(texts))


def test_names_a_foreign_passage_does_not_spell_do_not_anchor_a_sentence():
    """Across languages a name is not an error (it may be translated), but it does not vouch for the
    sentence either: with one, the year found in the passage no longer lowers the bar."""
    given = [hit(1, FI)]
    plain, named = verify([("The city archive chose its director in 1921.", (1,)),
                           ("The Atlantic Treaty council chose its director in 1921.", (1,))],
                          given, FixedSimilarity(0.80)).sentences
    assert plain.support == "supported" and named.support == "unsupported"
    assert named.missing == ()  # nothing is said to be missing: it is the meaning that is not close enough
