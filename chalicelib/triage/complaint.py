"""Complaints: a customer reporting a problem, politely or not, apart from how they feel about it
("still no refund, please help" is polite and a complaint; "worst airline ever" is a complaint
with no problem named). Written from the domain: service-failure words and the ways people say
something did not happen or does not work, plurals and synonyms included; none fitted to labels.
A problem reported with strong praise beside it ("delayed, but the crew was amazing") is not."""

from __future__ import annotations

import re

from chalicelib.triage.sentiment import STRONG_PRAISE_AT, Sentiment

PROBLEM = re.compile(
    r"\b(?:"
    r"(?:have ?n[o']?t|has ?n[o']?t|never|still (?:not|haven'?t|hasn'?t)|not yet|did ?n'?t|didnt)"
    r" (?:received|receive|got|gotten|get|heard|arrived|come|shown up)"
    r"|no (?:reply|replies|response|answer|refund|one|help|update|updates|info|information|call ?back|email)"
    r"|(?:does ?n'?t|does not|is ?n'?t|won'?t|can'?t|cannot|couldn'?t|not) "
    r"(?:work|working|load|loading|connect|let me|log ?in|sign ?in|find|get through|rebook|refund|answer|respond)"
    r"|refunds?|reimburse(?:ment)?|disappeared|charged twice|double[- ]charged|overcharg\w*|error|errors|glitch\w*"
    r"|outage|down again|lost (?:my|our)|where(?: is|'s) (?:my|our)|still waiting|hung up|on hold|complain\w*"
    # Beyond airlines: what people tell any company that sells them something that does not work,
    # does not arrive or costs them twice (services, shops, apps, telecoms, banks).
    r"|(?:is|are|was|were|been|went|goes|still) down"
    r"|(?:stopped|stops|quit|no longer) working|no longer works"
    r"|keeps? (?:crashing|freezing|restarting|rebooting|dropping|disconnecting|failing|logging me out|charging me)"
    r"|crash(?:es|ed|ing)?(?! course)"
    r"|(?:have ?n[o']?t|has ?n[o']?t|never|still (?:not|haven'?t|hasn'?t)|not yet|did ?n'?t|didnt|was ?n'?t|were ?n'?t)"
    r" (?:been )?(?:delivered|shipped|refunded|fixed|resolved|responded|replied|called back|showed up|show up|credited)"
    r"|wrong (?:order|item|items|size|colou?r|product|address|charge|amount|bill)"
    r"|(?:charged|billed) (?:me )?(?:twice|again|for something)"
    r"|no (?:signal|service|internet|wi-?fi|power|connection|dial tone)"
    r"|unable to"
    r"|(?:can'?t|cannot|could ?n'?t|can not)"
    r" (?:access|use|open|download|update|install|reach|login|log on|load|sync|pay)"
    r"|(?:won'?t|wont|does ?n'?t|does not|will not) (?:load|open|start|turn on|sync|update|install|play|stream)"
    r"|fix (?:this|it|your|the|my)"
    r"|what(?:'s| is) (?:going on|wrong) with"
    r"|waste of (?:time|money)|rip ?off|ripped off|scam|false advertising|money back"
    r"|(?:it'?s|its|it has|has) been (?:\d+|two|three|four|five|six|several|many) (?:hours|days|weeks|months)"
    r")\b"
)


def complaint_of(text: str, *, lowered: str, words: set[str], feeling: Sentiment) -> str:
    """Why this is a complaint ("" when it is not): a problem it reports, or its negativity."""
    if feeling.label == "unscored" or feeling.score >= STRONG_PRAISE_AT:
        return ""  # not read, or praise strong enough to outweigh a problem told beside it
    if feeling.cue:  # the failure sentiment already found (read once)
        return f"reports a problem ('{feeling.cue}')"
    found = PROBLEM.search(lowered)
    if found:
        return f"reports a problem ('{found.group(0)}')"
    return "negative about it" if feeling.label == "negative" else ""
