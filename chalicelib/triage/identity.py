"""One post, one identity: the platform's post id where there is one, else the canonical URL."""

from __future__ import annotations

import hashlib
import heapq
import re
import zlib
from functools import lru_cache
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from chalicelib.triage.tokens import tokenize

# Hosts that serve the same posts under another name.
_HOST_ALIASES: Final = {
    "twitter.com": "x.com",
    "mobile.twitter.com": "x.com",
    "mobile.x.com": "x.com",
    "m.facebook.com": "facebook.com",
    "mbasic.facebook.com": "facebook.com",
    "web.facebook.com": "facebook.com",
    "m.youtube.com": "youtube.com",
    "youtu.be": "youtube.com",
    "old.reddit.com": "reddit.com",
    "m.reddit.com": "reddit.com",
}
_PLATFORM_ALIASES: Final = {"twitter": "x", "ig": "instagram", "fb": "facebook"}
_TRACKING_PARAMS: Final = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|igsh|ref|ref_src|ref_url|s|t|si|"
    r"feature|_ga|yclid|twclid)$",
    re.IGNORECASE,
)
_X_STATUS: Final = re.compile(r"^/(?:[^/]+|i/web)/status(?:es)?/(\d+)", re.IGNORECASE)


def normalize_platform(platform: str) -> str:
    p = platform.strip().lower()
    return _PLATFORM_ALIASES.get(p, p)


_SLASHES: Final = re.compile(r"/{2,}")


# A link that is canonical as it stands but for its scheme and a trailing slash (most shared links:
# a shortener's): lower-case host, no port, query, fragment or doubled slash, no host to fold.
_PLAIN_URL: Final = re.compile(r"https?://([a-z0-9-]+(?:\.[a-z0-9-]+)+)(/[\w\-.~%/]*)?", re.ASCII)
_CASED_PATHS: Final = frozenset({"x.com", "facebook.com", "instagram.com", "reddit.com"})


def _canonical(url: str) -> tuple[str, str, str]:
    """The canonical URL, with its host and path (post_identity reads them: not split twice)."""
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None:
        host, path = plain.group(1), plain.group(2) or "/"
        if not host.startswith("www.") and host not in _HOST_ALIASES and host not in _CASED_PATHS and "//" not in path:
            path = path.rstrip("/") or "/"
            return "https://" + host + path, host, path
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    host = _HOST_ALIASES.get(host, host)
    path = parts.path or "/"
    if host == "youtube.com" and parts.hostname and parts.hostname.lower() == "youtu.be":
        query = urlencode([("v", path.strip("/"))])
        path = "/watch"
    elif parts.query:  # most shared links have none: nothing to parse
        query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAMS.match(k)))
    else:
        query = ""
    if "//" in path:
        path = _SLASHES.sub("/", path)
    path = path.rstrip("/") or "/"
    if host in _CASED_PATHS:
        path = path.lower()
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return urlunsplit(("https", host + port, path, query, "")), host, path


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, fold host aliases, drop tracking params, fragment, slashes."""
    return _canonical(url)[0]


def post_identity(*, platform: str, external_id: str, url: str) -> str:
    """The identity string two deliveries of the same post share."""
    p = normalize_platform(platform)
    if p and external_id.strip():
        return f"{p}:{external_id.strip()}"
    if url:
        canon, host, path = _canonical(url)
        # An X status URL names its post id, so URL-only copies join the id-bearing ones.
        if host == "x.com" and (m := _X_STATUS.match(path)):
            return f"x:{m.group(1)}"
        return canon
    if external_id.strip():
        return f"id:{external_id.strip()}"
    raise ValueError("a post needs an id or a url to be identified")


def key_for(namespace: str, identity: str) -> str:
    """A short deterministic key: the same identity always gives the same key."""
    digest = hashlib.sha256(f"{namespace}\x00{identity}".encode()).digest()
    # base32 of the first 15 bytes (24 letters, no padding), lower case, as base64.b32encode
    # spells it: five bytes at a time, two letters a lookup (its own Python loop was most of the call)
    pairs = _BASE32_PAIRS
    letters: list[str] = []
    for at in (0, 5, 10):
        chunk = int.from_bytes(digest[at : at + 5])
        letters += (
            pairs[chunk >> 30],
            pairs[(chunk >> 20) & 0x3FF],
            pairs[(chunk >> 10) & 0x3FF],
            pairs[chunk & 0x3FF],
        )
    return "".join(letters)


_BASE32: Final = "abcdefghijklmnopqrstuvwxyz234567"
_BASE32_PAIRS: Final = [a + b for a in _BASE32 for b in _BASE32]


_URL: Final = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
# Final: compiled, a constant, not a module dictionary's lookup at every gram (infra/native.py)
SKETCH_SIZE: Final = 4  # bottom-k MinHash: the k smallest gram hashes of a text
_WORD_HASHES: Final[dict[str, tuple[int, int, int]]] = {}  # token -> its word's hashes (bounded below)
_WORD_HASHES_KEPT: Final = 200_000
_FIRST: Final = 0x9E3779B1  # a 3-gram's odd multipliers, 32 bits
_SECOND: Final = 0x85EBCA77
_MASK: Final = 0xFFFFFFFF


def _hash_word(token: str) -> tuple[int, int, int]:
    """A token's hash as a copy shares it ("#fail" and "fail" are one word), and that hash times
    each 3-gram multiplier (32 bits): a gram's hash is then three XORs, in machine integers
    where the product would overflow them (compiled: infra/native.py)."""
    if len(_WORD_HASHES) >= _WORD_HASHES_KEPT:
        _WORD_HASHES.clear()
    value = zlib.crc32((token[1:] if token[0] == "#" else token).encode())
    hashes = _WORD_HASHES[token] = (value, (value * _FIRST) & _MASK, (value * _SECOND) & _MASK)
    return hashes


def sketch(text: str, *, tokens: list[str] | None = None) -> tuple[int, ...]:
    """A bottom-k MinHash sketch over word 3-grams (words, for very short texts): texts that
    share most of their 3-grams share most of their k smallest hashes, so reposts and
    copy-paste campaigns meet on at least one. The words are the text's tokens as a copy would
    share them: no "RT @author:" prefix, handles or links, hashtags as plain words. Each word is
    hashed once per process (crc32: stable across processes, so sketches stored by one Lambda
    match another's) and a 3-gram's hash mixes its three words' hashes with odd multipliers:
    (a * 0x9E3779B1 ^ b * 0x85EBCA77 ^ c) mod 2**32. One pass, the k smallest kept as they come
    (no list of words, set of grams or sort: a fifth of VADER's time before)."""
    toks = tokenize(text.lower()) if tokens is None else tokens
    known = _WORD_HASHES
    skip = 1 if len(toks) > 1 and toks[0] == "rt" and toks[1].startswith("@") else 0
    before = last = _NO_WORD  # the two words before this one
    count = 0
    smallest: list[int] = []
    for t in toks:
        if t[0] == "@":
            continue
        if skip:
            skip = 0
            continue
        found = known.get(t)
        word = found if found is not None else _hash_word(t)
        if count >= 2:
            gram = before[1] ^ last[2] ^ word[0]
            if len(smallest) < SKETCH_SIZE or gram < smallest[-1]:  # most grams of a longer text are not
                _keep(smallest, gram)
        before, last = last, word
        count += 1
    if count == 1:
        return (last[0],)
    if count == 2:
        return tuple(sorted({before[0], last[0]}))
    return tuple(smallest)


_NO_WORD: Final = (0, 0, 0)


def _keep(smallest: list[int], gram: int) -> None:
    """Keep `gram` among the SKETCH_SIZE smallest distinct values, in order."""
    if len(smallest) == SKETCH_SIZE and gram >= smallest[-1]:
        return
    at = 0
    for value in smallest:
        if value == gram:
            return
        if value > gram:
            break
        at += 1
    smallest.insert(at, gram)
    if len(smallest) > SKETCH_SIZE:
        smallest.pop()


def resemblance(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two texts from their sketches."""
    if not a or not b:
        return 0.0
    union = heapq.nsmallest(SKETCH_SIZE, set(a) | set(b))
    return sum(1 for h in union if h in a and h in b) / len(union)


def sketch_keys(value: tuple[int, ...]) -> tuple[str, ...]:
    """Index keys for finding a text's near-duplicates: one per sketch value."""
    return tuple(f"m:{h:08x}" for h in value)


@lru_cache(maxsize=4096)
def _linked_story(url: str) -> tuple[str, str] | None:
    """The post a link names and its story's key (a campaign's thousand copies share one link:
    it is canonicalised and hashed once)."""
    try:
        linked = post_identity(platform="", external_id="", url=url)
    except ValueError:
        return None
    return (linked, "p:" + key_for("mention", linked)) if linked.startswith(("x:", "https://")) else None


def forget() -> None:
    """Drop the remembered word hashes and linked stories."""
    _WORD_HASHES.clear()
    _linked_story.cache_clear()


def cluster_key(
    *, identity: str, text: str, urls: tuple[str, ...] = (), text_sketch: tuple[int, ...] | None = None
) -> str:
    """The story a post belongs to: the post it links to or quotes if any (so a report pointing at a
    post, and every quote of it, join that post), else the smallest hash of its text's sketch."""
    for url in (*urls, *(_URL.findall(text) if "://" in text else ())):
        story = _linked_story(url)
        if story is not None and story[0] != identity:
            return story[1]
    value = sketch(text) if text_sketch is None else text_sketch
    return f"s:{value[0]:08x}" if value else "p:" + key_for("mention", identity)
