"""Complaints: a customer telling a company that something went wrong for them, politely or not,
apart from how they feel about it. What makes a post a complaint is the customer's situation,
whatever the company sells: something did not arrive or happen, does not work, cost them, was
refused them, took too long, or they were treated badly; they ask for a fix, a refund or an
answer; they thank the company for the harm done (sarcasm); they judge the service. Negativity
alone is not one ("you're an idiot" is negative and no complaint): it counts only about
something the customer has or was served ("my order", "the staff") or about something not done
(a negation: "you can't even move a bag"). A problem told beside
strong praise is not one ("delayed, but the crew was amazing"), unless the praise is sarcasm.

Written from the language of service encounters, not from any industry's nouns or labelled
data: the departments' words route a complaint, they never decide whether a post is one.
`make eval` measures the signal on tweets to companies in four industries and on random
replies (complaint_f1_dev_*), and on the airline tweets."""

from __future__ import annotations

import re
from typing import Final

from chalicelib.triage.sentiment import NEGATIONS as NEGATION_WORDS
from chalicelib.triage.sentiment import STRONG_PRAISE_AT, Sentiment, asks_why, lexicon_valence
from chalicelib.triage.tokens import Ways, word_set

_BAD: Final = (
    r"(?:bad|poor|terrible|horrible|awful|appalling|shocking|pathetic|rubbish|crap|crappy|lousy|disgraceful"
    r"|dreadful|worst|abysmal|atrocious|sub ?par|useless|shitty|shit|incompetent|unacceptable|impolite)"
)
_SERVICE: Final = (
    r"(?:service|services|support|care|experience|company|quality|staff|employees|communication|product|products"
    r"|website|app|connection|network|coverage|signal|reception|delivery|shipping|management|response)"
)
_BAD_WORDS: Final = (
    " | bad poor terrible horrible awful appalling shocking pathetic rubbish crap crappy lousy disgraceful dreadful "
    "worst abysmal atrocious sub subpar useless shitty shit incompetent unacceptable impolite"
)
_SERVICE_WORDS: Final = (
    "service services support care experience company quality staff employees communication product products "
    "website app connection network coverage signal reception delivery shipping management response"
)

# What a complaint says beyond a reported problem (problems.py): what is not to be had, what the
# customer asks for, and the customer's verdict on the service. (the reason's words, the words a
# way cannot match without, the way)
REQUESTS_AND_VERDICTS: tuple[tuple[str, str, str, int], ...] = (
    (
        "is not available",
        "sold stock restock restocked restocking available",
        r"sold out|out of stock|back in stock|restock(?:ed|ing)?|no longer available",
        2,
    ),
    # They ask for a fix, a refund or an answer.
    (
        "asks for a fix",
        "fix sort resolve solve rectify look help assist reply respond get call dm | please pls plz kindly can could "
        "someone",
        r"(?:please|pls|plz|kindly|can you|could you|can someone|someone) (?:fix|sort|resolve|solve|rectify|look into"
        r"|help me|assist|reply|respond|get back|call me|dm me)",
        2,
    ),
    (
        "asks for a fix",
        "fix sort fixed sorted resolved",
        r"fix (?:this|it|your|the|my)|sort (?:it|this) out|get (?:this|it) (?:fixed|sorted|resolved)",
        2,
    ),
    (
        "asks for a fix",
        "help action something | please pls plz kindly asap need",
        r"(?:please|pls|plz|kindly) help|help (?:me |us )?(?:please|pls|plz|asap)|need (?:your |some )?help"
        r"|(?:please|pls|plz|kindly) (?:take (?:some )?action|do something)",
        3,
    ),
    ("asks for an answer", "update updates news eta | any", r"any (?:update|updates|news|eta)", 1),
    (
        "asks for an answer",
        "dm dms inbox message messages | check",
        r"check (?:my|your|ur|you|the) (?:dms?|inbox|messages?)",
        2,
    ),
    ("asks for an answer", "come | how", r"how come (?:my|our|there'?s no|there is no|you|i|we)", 1),
    (
        "asks for an answer",
        "when | back fixed restored resolved sorted delivered arrive refunded working",
        r"when (?:will|is|are|can) .{0,40}(?:back|fixed|restored|resolved|sorted|delivered|arrive|refunded|working)",
        0,
    ),
    (
        "asks for an answer",
        "going wrong problem issue happening gives | what what's whats",
        r"what(?:'s| is) (?:going on|wrong(?! with me)|the problem|the issue|happening)|what gives",
        3,
    ),
    (
        "asks for an answer",
        "why | my our",
        r"why (?:is|are|was|were|has|have|does|do|did|is ?n'?t|are ?n'?t|does ?n'?t|do ?n'?t|did ?n'?t|wo ?n'?t"
        r"|ca ?n'?t|has ?n'?t|have ?n'?t) (?:my|our)",
        0,
    ),
    (
        "asks for an answer",
        "delay holdup hold problem issue | what what's whats",
        r"what(?:'s| is) the (?:delay|hold ?up|holdup|problem|issue)",
        3,
    ),
    (
        "asks for an answer",
        "normal typical acceptable fair ok | is how's hows",
        r"is (?:this|that|it) (?:normal|typical|acceptable|fair)|how(?:'s| is) (?:that|this) (?:fair|acceptable|ok)",
        3,
    ),
    ("asks for an answer", "up | with | what what's whats", r"what(?:'s| is) up with", 2),
    ("asks for an answer", "what | do | i we", r"what (?:can|should|do) (?:i|we) do", 0),
    # They judge the service.
    (
        "judges the service",
        _SERVICE_WORDS + " cust" + _BAD_WORDS,
        _BAD + r" (?:\w+ )?(?:customer |cust )?" + _SERVICE,
        3,
    ),
    (
        "judges the service",
        _SERVICE_WORDS + _BAD_WORDS + " joke suck sucks",
        _SERVICE + r" (?:\w+ ){0,3}(?:is|was|are|were|has been|have been) (?:so |really |absolutely |very |just "
        r"|still )?(?:bad|poor|terrible|horrible|awful|appalling|shocking|pathetic|rubbish|crap|lousy|disgraceful"
        r"|dreadful|useless|a joke|shit|unacceptable)|" + _SERVICE + r" (?:\w+ )?sucks?",
        0,
    ),
    (
        "judges the service",
        "kind type sort | what",
        r"what (?:kind|type|sort) of (?:customer )?(?:service|support|company|business)",
        1,
    ),
    (
        "judges the service",
        "staff employees employee workers agents agent reps driver drivers engineers | dumb stupid useless incompetent "
        "lazy clueless rude",
        r"(?:dumb|stupid|useless|incompetent|lazy|clueless|rude) (?:staff|employees|employee|workers|agents|agent|reps"
        r"|driver|drivers|engineers)",
        1,
    ),
    (
        "judges the service",
        "worst | ever i've ive i have world earth time",
        r"worst \w+(?: \w+)? (?:ever|i'?ve|i have|in the world|on earth|of all time)",
        0,
    ),
    (
        "judges the service",
        "sucks suck worst terrible awful horrible useless joke pathetic ridiculous disgrace shit crap garbage trash "
        "rubbish | your is are",
        r"your (?:\w+ ){0,2}(?:sucks|suck|is (?:shit|crap|garbage|trash|rubbish|terrible|awful|horrible|pathetic"
        r"|useless|the worst|a joke))|@\w+ (?:is|are) (?:the worst|the absolute worst|terrible|awful|horrible"
        r"|useless|a joke|pathetic|ridiculous|a disgrace)",
        5,
    ),
    (
        "judges the service",
        "again buying ordering using shopping flying buy order use shop recommend fly back business customer | never "
        "won't wont will won lose lost losing take",
        r"never again|never (?:buying|ordering|using|shopping|flying)|(?:will|would|\w+'ll) never (?:buy|order|use|shop"
        r"|recommend|fly|go back)|(?:wo ?n'?t|will not) be (?:back|buying|ordering|using|flying)|(?:lose|lost|losing)"
        r" (?:my|a|our) (?:business|customer)|take my business",
        3,
    ),
    ("judges the service", "unacceptable", r"unacceptable", 0),
    (
        "judges the service",
        "regret regretting regreting regretted | buying purchasing ordering choosing switching to",
        r"regret(?:ting|ing|ted)? (?:buying|purchasing|ordering|choosing|switching|to buy|to purchase|to order)",
        0,
    ),
    (
        "judges the service",
        "buy use order shop | not don't dont don never | your their them you this",
        r"(?:not to|do ?n'?t|dont|do not|never) (?:buy|use|order|shop) (?:from |with )?(?:your|their|them|you|this)",
        2,
    ),
    (
        "judges the service",
        "happy unhappy nothappy disappointed disappointing unimpressed impressed",
        r"(?:not|un) ?happy|disappointed|disappointing|unimpressed|not impressed",
        1,
    ),
    ("judges the service", "act", r"get (?:your|their) act together", 2),
)

_REQUESTS_AND_VERDICTS: Final = Ways(REQUESTS_AND_VERDICTS)

# Praise that is sarcasm when the post also reports a problem ("Great job! 3 outages in 3 months").
_SARCASM: Final = Ways(
    (
        (
            "sarcasm",
            "thanks thank thx ty | for 4",
            r"(?:thanks|thank you|thank u|thx|ty)(?: so much| a lot)?(?: @\w+)? (?:for|4)",
            0,
        ),
        (
            "sarcasm",
            "job work service | great good nice awesome brilliant fantastic wonderful",
            r"(?:great|good|nice|awesome|brilliant|fantastic|wonderful) (?:job|work|service)",
            1,
        ),
        ("sarcasm", "love loving | how that when", r"(?:love|loving) (?:how|that|it when|when)", 0),
        ("sarcasm", "gotta | love", r"gotta love", 0),
        ("sarcasm", "anniversary | happy", r"happy \w+ anniversary", 2),
        ("sarcasm", "go | way", r"way to go", 2),
        ("sarcasm", "done | well", r"well done", 1),
        ("sarcasm", "sarcasm", r"sarcasm", 0),
    )
)
_SARCASM_TAGS: Final = ("#great", "#thank", "#awesome")  # and "#not", "#sarcasm"
# "Thanks for ruining my morning": thanks for the harm done (a clearly negative word among the
# next few, VADER's lexicon at -1.5 or below, or nothing at all).
_THANKS_FOR: Final = re.compile(
    r"(?:thanks|thank you|thank u|thx|ty)(?: so much| a lot)?(?: @\w+)? (?:for|4) ((?:\S+ ?){0,6})"
)
_THANKS: Final = frozenset({"thanks", "thank", "thx", "ty"})
_FOR: Final = frozenset({"for", "4"})
HARM_AT: Final = -1.5

# The customer's own things and the service relationship: negativity about these is a complaint.
CUSTOMER_WORDS: Final = word_set(
    "bought buy buying ordered order orders purchased purchase paid pay paying subscribed subscription booked booking "
    "returned return charged billed bill delivered delivery shipped shipping called call emailed email account "
    "service customer customers support product products item items package parcel warranty payment app website "
    "site company staff store shop price prices money business claim contract plan ticket tickets receipt"
)
# What follows "my"/"our" that is not something bought or served: people, the body, feelings,
# life and time ("my life sucks", "fuck my life" are negative and no complaint).
PERSONAL: Final = word_set(
    """son sons daughter daughters kid kids child children baby babies wife husband hubby partner boyfriend girlfriend
    bf gf fiance fiancee mom mum mother dad father parents parent brother brothers sister sisters sibling siblings
    family grandma grandmother grandpa grandfather grandparents aunt uncle cousin cousins nephew niece friend friends
    bestie buddy bro dude mate mates boss coworker coworkers colleague colleagues neighbor neighbour neighbors
    neighbours dog dogs cat cats pet pets god gosh goodness lord life lives mind brain heart soul head face eyes eye
    ears ear nose mouth teeth tooth throat neck back arm arms hand hands finger fingers leg legs knee knees foot feet
    body skin hair stomach belly chest wrist shoulder feelings feeling opinion opinions views view thoughts thought
    mood sanity patience love hope hopes dreams dream memory memories bad fault favorite favourite fave fav biggest
    best worst least own first last next only other whole entire self people country team city town age birthday
    day night morning week weekend year years time job jobs work career exam exams class school homework grades
    apologies condolences sympathy"""
)
_DESCRIBING: Final = frozenset({"new", "old", "brand", "recent", "latest", "current", "previous"})
_MY: Final = re.compile(r"(?:m(?<!\w.)y|o(?<!\w.)ur) (\w+)(?: (\w+))?")  # "\b(?:my|our)": searched from each m and o


def complaint_of(
    *,
    feeling: Sentiment,
    problem: tuple[str, str],
    lowered: str,
    forms: set[str],
    tokens: list[str],
) -> str:
    """Why this is a complaint ("" when it is not): the customer's situation it tells (`problem`,
    problems.problem_of's reading of the text, else what it asks for or its verdict), sarcasm
    about the service, or negativity about what the customer has or was served. `forms`: the
    text's words as tokens.word_forms gives them."""
    if feeling.label == "unscored":
        return ""  # not read
    if "\u2019" in lowered:  # typed apostrophes: "can’t" is "can't"
        lowered = lowered.replace("\u2019", "'")
    kind, said = problem
    praised = feeling.label == "positive" and feeling.score >= STRONG_PRAISE_AT  # (a request's courtesy is not)
    told = not praised or _sarcastic(lowered, forms)  # strong praise outweighs the rest, unless it is sarcasm
    if not said and told:
        kind, said = _asked(lowered, forms)
    if said and told:
        return f"{kind} ('{said}')"
    thanked = _thanks_for_harm(lowered, forms)
    if thanked:
        return f"sarcasm about the service ('{thanked}')"
    if feeling.label == "negative":
        about = _customer_thing(lowered, forms, tokens)
        if about:
            return f"negative about what they have or were served ('{about}')"
        denied = _negation(tokens)
        if denied:
            return f"negative about what was not done ('{denied}')"
    return ""


# Negations (Preotiuc-Pietro et al. 2019: among the strongest cues of a complaint to a company):
# a negative post that says something was not done ("you can't move a bag", "they don't care").
# Not "no", most often an interjection in a reply ("no way", "no, I meant..."); "no reply", "no
# refund" are problems.py's.
NEGATIONS: Final = word_set(
    "not never cannot cant wont dont doesnt didnt isnt arent wasnt werent havent hasnt hadnt couldnt wouldnt "
    "shouldnt aint"
)


# What a negation says of the poster's own mind, not of the service ("I can't believe it", "don't
# know", "not sure", "can't wait").
MIND: Final = word_set("believe know think mind wait imagine remember understand sure forget blame decide")


def _negation(tokens: list[str]) -> str:
    """The first negation in the text ("" if none): "not", "never", any "n't", not said of the
    poster's own mind."""
    last = len(tokens) - 1
    for at, token in enumerate(tokens):
        if (token in NEGATIONS or token.endswith("n't")) and (at == last or tokens[at + 1] not in MIND):
            return token
    return ""


def _asked(lowered: str, forms: set[str]) -> tuple[str, str]:
    """What the customer asks for or their verdict; else a why asked of someone of what did not
    happen ("why can't I log in?", "why doesn't the app sync?": a complaint put as a question, not
    a feeling: people rated such posts to a brand neutral as often as negative)."""
    kind, said = _REQUESTS_AND_VERDICTS.first(lowered, forms)
    if said or "why" not in forms or forms.isdisjoint(NEGATION_WORDS) or not asks_why(lowered):
        return kind, said
    return "asks why something did not happen", "why"


def _sarcastic(lowered: str, forms: set[str]) -> bool:
    """Whether praise in the text reads as sarcasm ("great job!", "thanks for...", #not)."""
    if "#" in lowered:
        for word in forms:
            if word.startswith(_SARCASM_TAGS) or word in ("#not", "#sarcasm"):
                return True
    return bool(_SARCASM.first(lowered, forms)[1])


def _thanks_for_harm(lowered: str, words: set[str] | frozenset[str]) -> str:
    """The thanks for a harm done in the text ("" if none), matched where a thanks starts (a search
    of the whole text cost more than the rest of the complaint's reading)."""
    if words.isdisjoint(_THANKS) or words.isdisjoint(_FOR):
        return ""
    for word in ("thank", "thx", "ty"):
        at = lowered.find(word)
        while at >= 0:
            found = _THANKS_FOR.match(lowered, at) if at == 0 or not _is_word(lowered[at - 1]) else None
            if found is not None:
                following = [w.strip(".,!?;:\"'()") for w in found.group(1).split()]
                if "nothing" in following or any(lexicon_valence(w) <= HARM_AT for w in following):
                    return found.group(0).strip()
            at = lowered.find(word, at + 1)
    return ""


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _customer_thing(lowered: str, words: set[str] | frozenset[str], tokens: list[str]) -> str:
    """The customer's own thing ("my order") or a word of the service relationship in the text."""
    if "my" in words or "our" in words:
        for found in _MY.finditer(lowered):
            thing = found.group(1)
            if thing in _DESCRIBING:
                thing = found.group(2) or ""
            if thing and thing not in PERSONAL and not thing.isdigit():
                return found.group(0)
    if words.isdisjoint(CUSTOMER_WORDS):
        return ""
    for token in tokens:  # the first one said ("#refund" says refund)
        word = token[1:] if token[0] == "#" else token
        if word in CUSTOMER_WORDS:
            return word
    return min(words & CUSTOMER_WORDS)  # inside a hyphenation ("customer-service")
