"""Answering a question, as a short sequence of stages: retrieve -> decide -> prompt -> constrain ->
generate -> cite -> verify.

Each stage is a function of its own (testable with a scripted backend and a hashing embedder);
`answer_stream` runs them in order and is what the engine calls.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Sequence

from assistant.audit import prompt_hash
from assistant.citation_grammar import MAX_SENTENCE_CHARS, MAX_SENTENCES, citation_grammar, follows
from assistant.citations import AnswerFilter, build_answer
from assistant.errors import BackendError
from assistant.llm import ChatBackend, GenerationOptions, Message
from assistant.prompting import Prompt, build_prompt
from assistant.refusal import Decision, Refusal
from assistant.retrieval import Retriever
from assistant.types import Answer, Hit, Timings
from assistant.verification import apply, sentence_spans, split_sentences, verify


@dataclass(frozen=True)
class Retrieved:
    hits: tuple[Hit, ...]  # the top k, best first
    seconds: float


def retrieve(retriever: Retriever, question: str, k: int) -> Retrieved:
    t0 = time.perf_counter()
    hits = retriever.search(question, k)
    return Retrieved(tuple(hits), time.perf_counter() - t0)


def decide(refusal: Refusal, hits: Sequence[Hit], k: int) -> Decision:
    """Refuse without calling the model when the passages do not look like an answer (assistant/refusal.py)."""
    return refusal.decide(hits, k)


@dataclass(frozen=True)
class Generated:
    """How a generation went: the raw text (markers as written) and when its pieces came."""

    raw: str
    pieces: int
    started: float  # perf_counter when the request was sent
    first: float | None  # perf_counter of the first piece
    ended: float
    stopped: bool
    repeated: bool = False  # ended where the model began to write a sentence it had already written
    incomplete: str = ""  # why the answer broke off midway (the backend's error), "" when it did not


def generate(backend: ChatBackend, messages: list[Message], options: GenerationOptions, n_blocks: int,
             stop: threading.Event | None = None) -> Iterator[str | Generated]:
    """Stream what the user should see of the answer (sentinel held back, bad markers dropped); the last
    item is the Generated record. `stop` ends it after the piece in hand. A small model tends to write
    its sentences again and again: generation ends once a sentence repeats an earlier one, and the
    record's text ends before it."""
    shown = AnswerFilter(n_blocks)
    raw: list[str] = []
    held: list[str] = []  # pieces of a sentence that so far reads like an earlier one: shown once it differs
    started, first = time.perf_counter(), None
    cut_at = None
    incomplete = ""
    stream = backend.stream(messages, options)
    try:
        for piece in stream:
            if first is None:
                first = time.perf_counter()
            raw.append(piece)
            if stop is not None and stop.is_set():
                break
            cut_at, suspect = repeated("".join(raw))
            if cut_at is not None:
                break
            held.append(piece)
            if suspect:
                continue
            out = "".join(shown.feed(p) for p in held)
            held = []
            if out:
                yield out
    except BackendError as e:
        if not raw:
            raise  # nothing was shown: the error is the whole outcome
        incomplete = str(e)  # what was shown stays, marked incomplete with the real cause
    finally:
        stream.close()  # releases the local model's lock when stopped early
    text = "".join(raw)
    stopped = stop is not None and stop.is_set()
    if stopped or incomplete:  # show what was written, as far as it went
        out = "".join(shown.feed(p) for p in held)
        if out:
            yield out
    elif cut_at is None and held:  # ended inside a sentence that so far repeats an earlier one
        cut_at = len(text) - len("".join(held))
    tail = shown.flush()
    if tail:
        yield tail
    text = text if cut_at is None else text[:cut_at]
    yield Generated(text, len(raw), started, first, time.perf_counter(), stopped, repeated=cut_at is not None,
                    incomplete=incomplete)


def repeated(text: str) -> tuple[int | None, bool]:
    """Whether `text` repeats an earlier sentence (markers and case aside): (where the first complete
    repeat starts, or None; whether its last, unfinished sentence so far reads like an earlier one)."""
    sentences, spans = split_sentences(text), sentence_spans(text)
    seen: list[str] = []
    ends = bool(re.search(r"[.!?](\s*\[[\d,; ]+\])*\s*$", text))
    for i, ((bare, _), (start, _end)) in enumerate(zip(sentences, spans)):
        key = " ".join(bare.lower().split())
        if i < len(sentences) - 1 or ends:
            if key in seen:
                return start, False
            seen.append(key)
        else:
            return None, any(k.startswith(key.rstrip(".!?")) for k in seen)
    return None, False


def answer_timings(gen: Generated, t0: float, retrieve_s: float, load_s: float) -> Timings:
    """Answering time from `t0` (retrieval start, model loading excluded); decode speed counts the pieces
    after the first over the time since the first, so reading the prompt is not in it."""
    decode_s = gen.ended - gen.first if gen.first is not None else 0.0
    return Timings(retrieve_s=round(retrieve_s, 4), load_s=round(load_s, 3),
                   first_token_s=round(gen.first - t0, 4) if gen.first is not None else None,
                   total_s=round(gen.ended - t0, 4),
                   tokens_per_s=round((gen.pieces - 1) / decode_s, 2) if gen.pieces > 1 and decode_s > 0 else None)


def stopped_answer(question: str, backend: str, model: str, timings: Timings) -> Answer:
    """Stopped before any text: no answer, and not a claim that the documents lack one."""
    return Answer(question=question, text="", found=False, citations=(), retrieved=(), backend=backend,
                  model=model, timings=timings)


def answer_stream(question: str, *, retriever: Retriever, k: int, refusal: Refusal,
                  backend: Callable[[], ChatBackend], configured: tuple[str, str], options: GenerationOptions,
                  constrain: bool = True, history: Sequence[tuple[str, str]] = (),
                  stop: threading.Event | None = None, load_s: float = 0.0) -> Iterator[str | Answer]:
    """Yield answer text as it is generated, then the final Answer (always last).

    `backend` is called only when the model is needed, so a refusal loads none; `configured` is the
    (backend, model) named in a refusal; `constrain`: decode with the citation grammar where the
    backend can; `load_s` is the time already spent loading the embedder.
    """
    t0 = time.perf_counter()
    found = retrieve(retriever, question, k)
    decision = decide(refusal, found.hits, k)
    if not decision.answer:  # answered without loading the language model
        yield build_answer(question, "", [], backend=configured[0], model=configured[1],
                           timings=Timings(retrieve_s=round(found.seconds, 4), load_s=round(load_s, 3),
                                           total_s=round(time.perf_counter() - t0, 4)),
                           threshold_passed=False, refused=decision)
        return
    t_load = time.perf_counter()
    chat = backend()
    loaded = time.perf_counter() - t_load
    load_s, t0 = load_s + loaded, t0 + loaded  # model loading is not answering time
    prompt: Prompt = build_prompt(question, decision.passages, count_tokens=chat.count_tokens, n_ctx=chat.n_ctx,
                                  answer_tokens=options.max_tokens, history=history)
    early = Timings(retrieve_s=round(found.seconds, 4), load_s=round(load_s, 3))
    if stop is not None and stop.is_set():  # stopped while the models loaded: no generation
        yield stopped_answer(question, chat.name, chat.model, early)
        return
    options = constrained(options, len(prompt.hits)) if constrain else options
    gen = None
    for item in generate(chat, prompt.messages, options, len(prompt.hits), stop):
        if isinstance(item, Generated):
            gen = item
        else:
            yield item
    if gen.stopped and not gen.raw.strip():
        yield stopped_answer(question, chat.name, chat.model, early)
        return
    answer = build_answer(question, gen.raw, prompt.hits, backend=chat.name, model=chat.model,
                          timings=answer_timings(gen, t0, found.seconds, load_s))
    answer = replace(answer, prompt_hash=prompt_hash(prompt.messages), incomplete=gen.incomplete,
                     **shaped(chat, options, gen, len(prompt.hits)))
    yield check(answer, getattr(retriever, "embedder", None))


def constrained(options: GenerationOptions, n_passages: int) -> GenerationOptions:
    """The options with the citation grammar for `n_passages` passages (assistant/citation_grammar.py)."""
    if not n_passages:
        return options
    return replace(options, grammar=citation_grammar(n_passages, max_sentences=sentences_for(options.max_tokens)))


def sentences_for(max_tokens: int) -> int:
    """As many sentences as fit the token limit at ~3 characters a token, so that an answer of long
    sentences ends in the grammar rather than cut mid-sentence by the limit."""
    return max(1, min(MAX_SENTENCES, max_tokens * 3 // MAX_SENTENCE_CHARS))


def shaped(chat: ChatBackend, options: GenerationOptions, gen: Generated, n_passages: int) -> dict:
    """How the grammar shaped the answer, truthfully: the backend's dialect when it applied it, "" when
    none was asked for, the backend cannot, or the text shows that the server ignored it (an answer cut
    by the token limit or by Stop ends mid-sentence and proves nothing)."""
    notice = getattr(chat, "notice", "")
    if not options.grammar or not chat.grammar:
        return {"constrained": "", "notice": notice}
    cut = gen.stopped or bool(gen.incomplete) or gen.pieces >= options.max_tokens - 1
    if cut or follows(gen.raw.strip(), n_passages, max_sentences=sentences_for(options.max_tokens)):
        return {"constrained": chat.grammar, "notice": notice}
    return {"constrained": "", "notice": notice or (
        f"the {chat.name} model did not follow the citation grammar it was sent ({chat.grammar}): the server "
        "ignores it; set remote_grammar to the server's kind (llama.cpp, vllm, vllm-legacy) or \"off\"")}


def check(answer: Answer, embedder) -> Answer:
    """Verify each sentence against the passages it cites (assistant/verification.py); the time it took
    is part of the answer's total."""
    if not answer.found:
        return answer
    sentences = split_sentences(answer.text)
    try:
        result = verify(sentences, answer.retrieved, embedder)
    except BackendError:  # a remote embedder failing now must not lose the answer: check the facts alone
        result = verify(sentences, answer.retrieved, None)
    timings = replace(answer.timings, verify_s=result.seconds, total_s=round(answer.timings.total_s + result.seconds, 4))
    return replace(apply(answer, result), timings=timings)
