"""Which language a question or a passage is in, from its commonest short words (no model needed).

Good enough to split an evaluation into same-language and cross-lingual questions; not a general
language identifier. Unknown or too short text is "".
"""

from __future__ import annotations

import re

NAMES = {"en": "English", "fi": "Finnish", "sv": "Swedish", "hu": "Hungarian", "it": "Italian", "de": "German",
         "fr": "French", "es": "Spanish", "nl": "Dutch", "et": "Estonian"}
_STOPWORDS = {
    "en": "the of and to in is that for it with as on are be this by or from at which you can an not what how "
          "who when where does do was were have has",
    "fi": "ja on ei se että oli ovat kun tai jos mitä kuka miten missä mikä voi myös sen tämä ole olla kuin "
          "vain kanssa siitä niin jotka joka mutta",
    "sv": "och att det som en är på för med av till den inte om har ett de kan vad hur vem när var eller "
          "från jag sig så men vid också",
    "hu": "a az és hogy nem is egy meg van ki mi hogyan mikor hol ez azt vagy csak már kell lehet ha el "
          "be fel még minden amely",
    "it": "il di che la e è per un una non in del della le gli si con come chi quando dove cosa sono "
          "anche alla dei al più può",
    "de": "der die und das ist nicht ein eine zu mit von den dem sich auf für wie wer wann wo was auch "
          "oder kann sind",
    "fr": "le la les et des est un une pour dans que qui ne pas sur au du avec comment quand où quoi sont "
          "ce peut aussi",
    "es": "el la los las y de que en un una es por para con no como cuando donde qué quién se del al más "
          "puede también",
    "nl": "de het een en van is dat niet in op te met voor zijn hoe wie wanneer waar wat ook kan er",
    "et": "ja on ei et see kui oli ka või mis kes kuidas kus seda mida aga nagu ning",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
STOPWORDS = frozenset(w for words in _WORDS.values() for w in words)  # of every language here
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
# word endings typical of a language: they decide titles and short questions that hold no short words
_ENDINGS = {
    "fi": ("ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "ksi", "minen", "nen", "ista", "istä",
           "ujen", "iden", "aan", "ään", "ella", "ällä"),
    "hu": ("ban", "ben", "nak", "nek", "ból", "ből", "hoz", "hez", "ság", "ség", "ása", "ése", "ások", "ések",
           "ának", "ének", "ból", "ról", "ről", "val", "vel"),
    "sv": ("ning", "ningar", "erna", "arna", "else", "het", "heten", "ande", "ende", "aren"),
    "it": ("zione", "zioni", "mente", "are", "ere", "ire", "ato", "ata", "ello", "ella", "oni"),
    "en": ("ing", "tion", "ment", "ness", "ed", "ly"),
    "de": ("ung", "ungen", "keit", "heit", "lich", "isch"),
    "fr": ("ment", "tion", "eur", "eux", "aire"),
    "es": ("ción", "ciones", "mente", "ado", "ada"),
}
# letters that settle a tie between close languages
_LETTERS = {"fi": "äö", "sv": "åäö", "hu": "őűáéíóú", "it": "àèéìòù", "de": "äöüß", "et": "õäöü"}


def detect(text: str) -> str:
    """A language code ("en", "fi", "sv", "hu", "it", "de", "fr", "es", "nl", "et") or ""."""
    tokens = [t.lower() for t in _TOKEN.findall(text)[:400]]
    if not tokens:
        return ""
    scores = {lang: sum(t in words for t in tokens) for lang, words in _WORDS.items()}
    for lang, endings in _ENDINGS.items():
        scores[lang] += 0.4 * sum(len(t) > 4 and t.endswith(endings) for t in tokens)
    low = text.lower()
    for lang, letters in _LETTERS.items():
        scores[lang] += 0.5 * min(3, sum(low.count(ch) for ch in letters))
    best = max(scores, key=scores.get)
    if scores[best] < 1:
        return ""
    return best
