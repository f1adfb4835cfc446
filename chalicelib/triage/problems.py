"""How people report that something went wrong: the service-failure words and phrases of
customer-service posts, and the ways people tell any company that something did not happen or
does not work, politely or not. Sentiment reads them once (a reported problem is negative unless
strongly praised) and the complaint signal reads the cue it found. Written from the domain,
plurals and synonyms included; none fitted to labelled data."""

from __future__ import annotations

import re

from chalicelib.triage.tokens import Phrases

FAILURE_WORDS = frozenset(
    {
        "delay",
        "delayed",
        "delays",
        "late",
        "cancel",
        "cancelled",
        "canceled",
        "cancellation",
        "cancels",
        "strand",
        "stranded",
        "stuck",
        "lost",
        "missing",
        "damaged",
        "broken",
        "rude",
        "overbooked",
        "bumped",
        "refund",
        "wait",
        "waiting",
        "waited",
        "diverted",
        "missed",
        "ignored",
        "unacceptable",
        "worst",
        "disappoint",
        "disappointed",
        "disappointing",
        "overcharged",
        "dirty",
        "useless",
        "incompetent",
        "ridiculous",
        "nobody",
        "hrs",
        "wasted",
        "denied",
        "wtf",
        "zero",
        "downgrade",
        "downgraded",
        "downgrading",
    }
)
FAILURE_PHRASES = (
    "on hold",
    "no one",
    "never again",
    "hold time",
    "for nothing",
    "no info",
    "no update",
    "no answer",
    "no response",
    "no help",
)


_CANT_WAIT = re.compile(r"\b(?:can'?t|cannot|couldn'?t|can not) wait\b")


# How people report that something did not happen or does not work, politely or not (the
# complaint signal's problems; written from the domain, plurals and synonyms included, beyond
# airlines: what people tell any company whose service, shop, app, line or bank lets them down).
# Each way comes with the words (as tokenize gives them) one of which it cannot match without:
# a post's words pick the few ways worth trying (one regex of them all cost 7 us a post).
_NOT_YET = r"(?:have ?n[o']?t|has ?n[o']?t|never|still (?:not|haven'?t|hasn'?t)|not yet|did ?n'?t|didnt"
PROBLEM_WAYS: tuple[tuple[str, str], ...] = (
    (
        "received receive got gotten get heard arrived come shown",
        _NOT_YET + r") (?:received|receive|got|gotten|get|heard|arrived|come|shown up)",
    ),
    (
        "reply replies response answer refund one help update updates info information call callback email",
        r"no (?:reply|replies|response|answer|refund|one|help|update|updates|info|information|call ?back|email)",
    ),
    (
        "work working load loading connect let log login sign signin find get rebook refund answer respond",
        r"(?:does ?n'?t|does not|is ?n'?t|won'?t|can'?t|cannot|couldn'?t|not) "
        r"(?:work|working|load|loading|connect|let me|log ?in|sign ?in|find|get through|rebook|refund|answer|respond)",
    ),
    (
        "refund refunds reimburse reimbursement disappeared charged double-charged overcharge overcharged overcharges "
        "overcharging error errors glitch glitches glitchy glitching glitched outage",
        r"refunds?|reimburse(?:ment)?|disappeared|charged twice|double[- ]charged|overcharg(?:e|ed|es|ing)|errors?"
        r"|glitch(?:es|y|ing|ed)?|outage",
    ),
    ("down", r"down again|(?:is|are|was|were|been|went|goes|still) down"),
    ("lost", r"lost (?:my|our)"),
    ("where where's", r"where(?: is|'s) (?:my|our)"),
    ("waiting", r"still waiting"),
    ("hung", r"hung up"),
    ("hold", r"on hold"),
    ("complain complains complained complaining complaint complaints", r"complain(?:s|ed|ing|ts?)?"),
    ("working works", r"(?:stopped|stops|quit|no longer) working|no longer works"),
    (
        "crashing freezing restarting rebooting dropping disconnecting failing logging charging",
        r"keeps? (?:crashing|freezing|restarting|rebooting|dropping|disconnecting|failing|logging me out|charging me)",
    ),
    ("crash crashes crashed crashing froze freezes", r"crash(?:es|ed|ing)?(?! course)|froze|freezes"),
    (
        "issue issues problem problems trouble",
        r"(?:having|has|have|had|getting|experiencing) (?:some |an |a |the same |major |serious )?"
        r"(?:issues?|problems?|trouble)",
    ),
    (
        "delivered shipped refunded fixed resolved responded replied called showed show credited",
        _NOT_YET + r"|was ?n'?t|were ?n'?t) (?:been )?"
        r"(?:delivered|shipped|refunded|fixed|resolved|responded|replied|called back|showed up|show up|credited)",
    ),
    ("wrong", r"wrong (?:order|item|items|size|colou?r|product|address|charge|amount|bill)"),
    ("charged billed", r"(?:charged|billed) (?:me )?(?:twice|again|for something)"),
    (
        "signal service internet wifi wi-fi power connection dial",
        r"no (?:signal|service|internet|wi-?fi|power|connection|dial tone)",
    ),
    ("unable", r"unable to"),
    (
        "access use open download update install reach login log load sync pay",
        r"(?:can'?t|cannot|could ?n'?t|can not) "
        r"(?:access|use|open|download|update|install|reach|login|log on|load|sync|pay)",
    ),
    (
        "load open start turn sync update install play stream",
        r"(?:won'?t|wont|does ?n'?t|does not|will not) (?:load|open|start|turn on|sync|update|install|play|stream)",
    ),
    ("fix", r"fix (?:this|it|your|the|my)"),
    ("going wrong", r"what(?:'s| is) (?:going on|wrong) with"),
    (
        "waste rip ripoff ripped scam false money",
        r"waste of (?:time|money)|rip ?off|ripped off|scam|false advertising|money back",
    ),
    (
        "hours days weeks months",
        r"(?:it'?s|its|it has|has) been (?:\d+|two|three|four|five|six|several|many) (?:hours|days|weeks|months)",
    ),
    ("apart", r"(?:fell|falling|falls|fall|came|coming|comes) apart"),
    (
        "out",
        r"(?:has|have|had) been out (?:since|for)"
        r"|(?:power|internet|service|wi-?fi|signal|cable|network|electricity|water) "
        r"(?:is|was|went|has been|keeps going) out",
    ),
    (
        "reverse replace honor honour exchange accept fix cancel help",
        r"(?:won'?t|will not|refused to|refuses to|refuse to) "
        r"(?:reverse|replace|honou?r|exchange|accept|fix|cancel|help)",
    ),
    ("delivered", r"(?:says|said|shows|showed|marked|marked as) delivered"),
)
PROBLEM = re.compile(r"\b(?:" + "|".join(way for _, way in PROBLEM_WAYS) + r")\b")  # all at once (tests)


def _index_problem_ways() -> dict[str, tuple[tuple[int, re.Pattern[str]], ...]]:
    """Word -> the ways (their place in PROBLEM_WAYS, compiled) that need it."""
    index: dict[str, tuple[tuple[int, re.Pattern[str]], ...]] = {}
    for order, (needs, way) in enumerate(PROBLEM_WAYS):
        pattern = re.compile(r"\b(?:" + way + r")\b")
        for word in needs.split():
            index[word] = (*index.get(word, ()), (order, pattern))
    return index


_PROBLEM_BY_WORD = _index_problem_ways()
_PROBLEM_WORDS = frozenset(_PROBLEM_BY_WORD)


def problem_in(lowered: str, words: set[str] | frozenset[str]) -> str:
    """The first problem the text reports ("" if none): PROBLEM's leftmost match, found by trying
    only the ways the text's words allow."""
    present = words & _PROBLEM_WORDS
    if "#" in lowered:  # "#crash" is the word "crash" to a regex
        present |= {w[1:] for w in words if w[0] == "#"} & _PROBLEM_WORDS
    if not present:
        return ""
    best: tuple[int, int, str] | None = None
    tried: set[int] = set()
    for word in present:
        for order, way in _PROBLEM_BY_WORD[word]:
            if order in tried:
                continue
            tried.add(order)
            found = way.search(lowered)
            if found and (best is None or (found.start(), order) < best[:2]):
                best = (found.start(), order, found.group(0))
    return best[2] if best else ""


_FAILURE_PHRASES = Phrases(FAILURE_PHRASES, also=("information",))


def failure_cue(lowered: str, words: frozenset[str] | set[str]) -> str:
    if not words.isdisjoint(FAILURE_WORDS):  # most posts name no failure: no set built for them
        hits = words & FAILURE_WORDS
        if "wait" in hits and _CANT_WAIT.search(lowered):
            hits = hits - {"wait"}  # "can't wait" is eagerness, not a queue
        if hits:
            return next(iter(hits))
    return _FAILURE_PHRASES.first(lowered, words)
