"""Text → search terms: NFKC normalisation and jieba's search mode with our own dictionary.

The same function tokenises documents and queries, so a word is cut the same way on both
sides. jieba's HMM guesser is off: it glues unknown neighbours into nonsense words
("店要"); without it an unknown run falls apart into single characters, which still match.

Each index build gets a fresh tokenizer holding a copy of jieba's base dictionary plus the
catalog's names and the synonym phrases, so segmentation depends only on the current
catalog and knowledge, never on what this process happened to load before.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable

import jieba

jieba.setLogLevel(logging.WARNING)  # it logs dictionary loading at DEBUG on stderr

# Longer queries are cut here: nobody types more, and a 2,000-character paste must not cost
# more than a normal question.
MAX_QUERY_CHARS = 200

PART_WEIGHT = 0.3

# Question words, fillers and verbs every item shares: they say nothing about *which* thing.
_STOPWORD_TEXT = """
我 我们 我的 你 你们 您 他 她 它 咱 家 家里 的 了 吗 呢 吧 啊 呀 哦 嘛 么 啥 着 过 和 与 及 或 跟 在 有 是 就
都 也 还 又 再 很 太 要 想 想要 需要 需 得 能 能不能 可以 可不可以 应该 该 怎么 怎么办 怎样 怎么样 如何 什么
哪些 哪个 哪里 哪儿 去哪 哪 多少 几 几个 个 一个 一下 一些 这 那 这个 那个 这些 那些 现在 刚 刚刚 已经
请问 请 问 问下 问一下 咨询 谢谢 麻烦 你好 您好 办 办理 办事 手续 流程 材料 资料 东西 事 事情 相关 有关
所有 全部 一起 一次 然后 之后 以后 以前 后来 因为 所以 但是 不过 如果 没 没有 不 不是 会 把 被 给 让 到
上 下 里 中 时候 时 等 呗 哈 嗯 我该 要办 要带 带 该办 办啥 干啥 做 弄 搞 跑 跑几趟
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# The words for a person (我, family): who asks, not what they ask for. The index leaves
# them out of everyday names (孩子 of 生孩子), which would otherwise pull every story about
# a child; with life stages they mark a person's own story (search.PERSON_MARKERS).
PERSON_WORDS = (
    "我", "本人", "孩子", "小孩", "儿子", "女儿", "宝宝", "娃", "老人", "父亲", "母亲",
    "爸", "妈", "老婆", "老公", "爷爷", "奶奶",
)  # fmt: skip

_KEEP = re.compile(r"[0-9a-z\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPACE = re.compile(r"\s+")

_base_lock = threading.Lock()
_base: jieba.Tokenizer | None = None


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, one space between
    runs; the caller truncates queries to MAX_QUERY_CHARS."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def cjk_chars(text: str) -> list[str]:
    return _CJK.findall(text)


def _base_tokenizer() -> jieba.Tokenizer:
    """jieba's default dictionary, loaded once per process (from jieba's cache file in the
    temp directory after the first run; no network)."""
    global _base
    with _base_lock:
        if _base is None:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _base = tokenizer
        return _base


class Segmenter:
    """A jieba tokenizer with the catalog's words added; see the module docstring."""

    def __init__(self, words: Iterable[str]) -> None:
        base = _base_tokenizer()
        tokenizer = jieba.Tokenizer()
        # jieba has no public copy; these three attributes are what initialize() sets.
        tokenizer.FREQ = dict(base.FREQ)
        tokenizer.total = base.total
        tokenizer.initialized = True
        for word in sorted(set(words)):  # sorted: the same dictionary whatever the input order
            if len(word) > 1 and word not in tokenizer.FREQ:
                tokenizer.add_word(word)
        self._tokenizer = tokenizer
        self._cache: dict[str, list[str]] = {}

    def weighted_terms(
        self, text: str, known: Callable[[str], bool] = lambda term: True
    ) -> dict[str, float]:
        """A query's terms with weights: search mode also emits the parts of a long word
        (身份证 → 身份, 身份证); a part counts PART_WEIGHT, so that 身份证 is not outvoted by
        every document that merely mentions 身份. So does a single character next to words."""
        terms = self.terms(text)
        weights: dict[str, float] = {}
        for term in terms:
            # A part of a word no document has (刚出生) carries the meaning: 出生 counts fully.
            part = any(len(o) > len(term) and term in o and known(o) for o in terms)
            # A lone character among words is mostly grammar (人, 后, 换), rarely the point.
            weak = part or (len(term) == 1 and len(terms) > 1)
            weights[term] = max(weights.get(term, 0.0), PART_WEIGHT if weak else 1.0)
        return weights

    def words_in(self, text: str, longest: int) -> set[str]:
        """Every dictionary word of 2 to `longest` characters inside `text`, wherever jieba
        would cut: 报到 in 退役军人报到, which search mode cuts 报 到."""
        freq = self._tokenizer.FREQ
        found = set()
        for start in range(len(text) - 1):
            for end in range(start + 2, min(start + longest, len(text)) + 1):
                if freq.get(text[start:end]):
                    found.add(text[start:end])
        return found

    def cut(self, text: str) -> list[str]:
        """jieba's default-mode cut of normalised text (HMM off), punctuation included: the
        word boundaries the homophone check aligns on (see typos)."""
        return list(self._tokenizer.cut(text, HMM=False))

    def terms(self, text: str) -> list[str]:
        """Search-mode terms of `text` without stopwords or punctuation, in text order.
        Cached per text: material and department names repeat across thousands of items."""
        cached = self._cache.get(text)
        if cached is None:
            cached = [
                term
                for piece in self._tokenizer.cut_for_search(normalize(text), HMM=False)
                if (term := piece.strip()) and term not in STOPWORDS and _KEEP.search(term)
            ]
            if len(self._cache) < 200_000:
                self._cache[text] = cached
        return cached
