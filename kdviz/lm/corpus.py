"""The text a character model learns from: CPython's own documentation, shipped with every Python, split and encoded.

``pydoc_data.topics`` holds the Python reference's help topics (about 465,000 characters of English
prose and code), so nothing is downloaded. The vocabulary is the printable ASCII characters and the
newline (96 tokens); any other character (a few hundred typographic dashes, quotes and ellipses)
becomes its closest ASCII spelling or, failing that, "?". The text is cut into paragraphs (at blank
lines), and every tenth paragraph goes to the held-out split, so the held-out text is prose the
teacher never read, from every topic.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import torch

VOCAB = "\n" + "".join(chr(c) for c in range(32, 127))  # 96 tokens: newline and printable ASCII
INDEX = {ch: i for i, ch in enumerate(VOCAB)}
SPELLINGS = {"\u2014": "--", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
             "\u2026": "...", "\u00a0": " ", "\t": "    "}
HELD_OUT_EVERY = 10  # every tenth paragraph (topics in sorted order) is held out
LOOKUP = np.full(128, -1, dtype=np.int64)  # ASCII code -> token id (-1: not in the vocabulary)
LOOKUP[[ord(ch) for ch in VOCAB]] = np.arange(len(VOCAB))


def ascii_text(text: str) -> str:
    """``text`` in the vocabulary: known typographic characters spelled in ASCII, accents dropped, the rest "?"."""
    others = {ch for ch in set(text) if ch not in INDEX}
    return text.translate({ord(ch): _spelling(ch) for ch in others})


def _spelling(ch: str) -> str:
    """The ASCII spelling of one character outside the vocabulary ("?" when it has none)."""
    if ch in SPELLINGS:
        return SPELLINGS[ch]
    plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return plain if plain and all(c in INDEX for c in plain) else "?"


def encode(text: str) -> torch.Tensor:
    """Token ids (len(text),) int64 of text already in the vocabulary; ValueError naming a character that is not."""
    bad = next((ch for ch in text if ch not in INDEX), None) if not text.isascii() or "\r" in text else None
    codes = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8)  # (len(text),)
    ids = LOOKUP[codes]
    if bad is None and (ids < 0).any():
        bad = text[int(np.flatnonzero(ids < 0)[0])]
    if bad is not None:
        raise ValueError(f"character {bad!r} is not in the model's vocabulary (printable ASCII and newline)")
    return torch.from_numpy(ids)


def decode(ids) -> str:
    """The text of token ids (any iterable of ints in [0, 96))."""
    return "".join(VOCAB[int(i)] for i in ids)


@dataclass(frozen=True)
class Corpus:
    """Encoded text, split by topic: training and held-out token ids, and where the text came from."""

    train: torch.Tensor  # (N_train,) int64
    held_out: torch.Tensor  # (N_held,) int64
    source: str

    def windows(self, split: str, length: int, count: int, seed: int) -> torch.Tensor:
        """``count`` seeded random windows of ``length`` + 1 tokens of a split: (count, length + 1) int64
        (inputs are [:, :-1], next-token targets [:, 1:])."""
        ids = self.train if split == "train" else self.held_out
        if len(ids) <= length + 1:
            raise ValueError(f"the {split} text has {len(ids)} characters, fewer than a window of {length + 1}")
        starts = np.random.default_rng(seed).integers(0, len(ids) - length - 1, size=count)  # (count,)
        return torch.stack([ids[s:s + length + 1] for s in starts])


def python_docs() -> Corpus:
    """CPython's help topics (pydoc_data.topics), in the vocabulary, split by paragraph (every tenth held out)."""
    from pydoc_data.topics import topics  # imported here: a 500 kB module that only this page needs

    text = ascii_text("\n\n".join(topics[name].strip() for name in sorted(topics)))
    paragraphs = [p.strip("\n") + "\n\n" for p in text.split("\n\n") if p.strip()]
    held = "".join(paragraphs[HELD_OUT_EVERY - 1::HELD_OUT_EVERY])
    train = "".join(p for i, p in enumerate(paragraphs) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1)
    return Corpus(encode(train), encode(held), f"CPython's help topics (pydoc_data: {len(topics)} topics, "
                                               f"{len(train):,} training and {len(held):,} held-out characters)")
