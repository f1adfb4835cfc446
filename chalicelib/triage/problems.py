"""How people report that something went wrong for them, whatever the company sells: the
service-failure words of customer-service posts, and the ways people tell any company that
something did not arrive or happen, does not work, cost them, was refused them, took too long, or
that they were treated badly, politely or not. Sentiment reads them once (a reported problem is
negative unless strongly praised) and the complaint signal names the customer's situation from
the same reading. Written from the domain, plurals and synonyms included; none fitted to labelled
data. Words with everyday meanings ("wait", "lost", "missed", "hours") count only in the phrases
that make them a failure ("still waiting", "you lost my bag", "on hold for 2 hours")."""

from __future__ import annotations

from typing import Final

from chalicelib.triage.tokens import Phrases, Ways, word_forms

FAILURE_WORDS: Final = frozenset(
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
        "missing",
        "damaged",
        "broken",
        "rude",
        "overbooked",
        "bumped",
        "refund",
        "diverted",
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
        "wasted",
        "denied",
        "wtf",
        "zero",
        "downgrade",
        "downgraded",
        "downgrading",
    }
)
# The rest of the failure phrases ("on hold", "no response"...) are ways in PROBLEMS, read once.
FAILURE_PHRASES: Final = ("never again", "for nothing")


_N: Final = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|many|few|couple of)"
_UNITS: Final = r"(?:min|mins|minutes|hr|hrs|hours?|days|weeks|months)"
_NOT_YET: Final = (
    r"(?:have ?n[o']?t|has ?n[o']?t|havent|hasnt|never|still (?:not|have ?n'?t|has ?n'?t|havent|hasnt)"
    r"|not yet|yet to|did ?n'?t|didnt)"
)
# Any negated auxiliary ("isn't", "didnt", "never"): a pattern starting "n't" never meets a word boundary.
_NOT: Final = (
    r"(?:not|is ?n'?t|isnt|are ?n'?t|arent|was ?n'?t|wasnt|were ?n'?t|werent|do ?n'?t|dont|does ?n'?t|doesnt"
    r"|did ?n'?t|didnt|never)"
)
_NEGATED: Final = (
    r"(?:does ?n'?t|doesnt|does not|do ?n'?t|dont|do not|is ?n'?t|isnt|is not|are ?n'?t|arent|are not"
    r"|was ?n'?t|wasnt|were ?n'?t|werent|wo ?n'?t|wont|will not|ca ?n'?t|cant|cannot|can not|could ?n'?t|couldnt"
    r"|could not|not|never|still not)"
)
_CANT: Final = r"(?:ca ?n'?t|cant|cannot|can not|could ?n'?t|couldnt|could not|not able to|unable to)"
# The tokens a negated pattern cannot match without (a typed apostrophe splits "doesn’t" in two).
_NEGATIONS: Final = (
    "| not no never cannot can't cant won't wont don't dont doesn't doesnt didn't didnt isn't isnt aren't arent "
    "wasn't wasnt weren't werent couldn't couldnt wouldn't wouldnt haven't havent hasn't hasnt yet can won don "
    "doesn didn isn aren wasn weren couldn wouldn haven hasn unable able"
)
# What a product or service does for its customer: "does not <this>" is a failure.
_FUNCTION: Final = (
    r"(?:work|works|worked|working|load|loading|connect|connecting|charge|charging|sync|syncing|print|printing"
    r"|scan|scanning|turn on|turning on|power on|powering on|boot|booting|respond|responding|pair|pairing"
    r"|install|installing|download|downloading|update|updating|stream|streaming|register|registering|running"
    r"|log ?in|logging in|sign ?in|signing in|accept|accepting|let me|find|get through|rebook|refund|answer|open"
    r"|start|play)"
)
_FUNCTIONS: Final = (
    "work works worked working load loading connect connecting charge charging sync syncing print printing scan "
    "scanning turn turning power powering boot booting respond responding pair pairing install installing download "
    "downloading update updating stream streaming register registering running log login logging sign signin signing "
    "accept accepting let find through rebook refund answer open start play"
)

# How people tell any company that something went wrong for them (the customer's situation,
# named in a complaint's reason): (the situation, the words a way cannot match without, the way).
# Beyond airlines: what people tell any company whose service, shop, app, line or bank lets them
# down. The words come as tokenize gives them: one of each group separated by "|" (tokens.Ways);
# a post's words pick the few ways worth trying.
PROBLEMS: tuple[tuple[str, str, str, int], ...] = (
    # The commonest first: the first way found names the situation.
    (
        "did not arrive or happen",
        "delay delays delayed delaying cancelled canceled cancels cancellation cancellations cancelation "
        "cancelations postponed stranded overbooked diverted bumped",
        r"delays?|delayed|delaying|cancell?ed|cancels|cancell?ations?|postponed|stranded|overbooked|diverted"
        r"|bumped (?:me|us|off)",
        0,
    ),
    ("took too long", "hold", r"on hold|hold time", 1),
    # Something did not arrive or did not happen.
    (
        "did not arrive or happen",
        "received receive heard arrived arrive come came shown showed turned appeared delivered shipped dispatched "
        "despatched refunded fixed resolved responded replied called credited processed restored activated answered "
        "helped worked show" + _NEGATIONS,
        r"(?:" + _NOT_YET + r"|was ?n'?t|wasnt|were ?n'?t|werent|is ?n'?t|isnt|not) (?:been |yet )?(?:received?"
        r"|heard(?! of)|arrived?|come|came|shown up|showed up|show up|turned up|appeared|delivered|shipped|dispatched"
        r"|despatched|refunded|fixed|resolved|responded|replied|called back|credited|processed|restored|activated"
        r"|answered|helped|worked)",
        4,
    ),
    (
        "did not arrive or happen",
        "heard" + _NEGATIONS + " nothing",
        _NOT + r" heard (?:back|anything|from)|heard nothing",
        2,
    ),
    (
        "did not arrive or happen",
        "get got gotten receiving getting | my our any anything back correct proper reply response refund call "
        "confirmation code email text receipt ticket answer update apology explanation" + _NEGATIONS,
        r"(?:" + _NOT_YET + r"|" + _NOT + r") (?:get|got|gotten|getting|receiving) (?:my|our|any|anything|back"
        r"|correct|proper|a (?:reply|response|refund|call|confirmation|code|email|text|receipt|ticket)"
        r"|an (?:answer|email|update|apology|explanation))",
        3,
    ),
    (
        "did not arrive or happen",
        "nothing | works worked happens happened arrived came done got received heard",
        r"nothing (?:works|worked|happens|happened|has happened|arrived|has arrived|came|has been done)"
        r"|(?:got|received|heard) nothing",
        1,
    ),
    (
        "did not arrive or happen",
        "still | no nothing not waiting haven't hasn't havent hasnt haven hasn can't cant cannot can unable broken "
        "down missing charging getting having showing says",
        r"still (?:no|nothing|not|waiting|have ?n'?t|has ?n'?t|havent|hasnt|ca ?n'?t|cant|cannot|unable|broken|down"
        r"|missing|charging|getting|having|showing|says)",
        0,
    ),
    (
        "did not arrive or happen",
        "reply replies response responses answer answers refund help update updates info information callback call "
        "email news sign tracking confirmation communication contact resolution delivery reason explanation apology "
        "| no",
        r"no (?:reply|replies|response|responses|answer|answers|refund|help|update|updates|info|information"
        r"|call ?back|email|news|sign|tracking|confirmation|communication|contact|resolution|delivery|reason"
        r"|explanation|apology)",
        1,
    ),
    ("did not arrive or happen", "where where's wheres | my our", r"where(?: is|'s|s) (?:my|our)", 0),
    ("did not arrive or happen", "happened | what", r"what happened to (?:my|our|the|your)", 1),
    ("did not arrive or happen", "delivered", r"(?:says|said|shows|showed|showing|marked|marked as) delivered", 2),
    (
        "did not arrive or happen",
        "missing",
        r"missing (?:my|our|an?|some|from|parts?|pieces?|items?)|(?:items?|parts?|pieces?|money|payment|funds|order"
        r"|parcel|package) (?:is |was |are |were |still )?missing",
        2,
    ),
    (
        "did not arrive or happen",
        "lost",
        r"(?:you|u|they|y'?all) (?:have |had |'ve |just |also |guys |then )?lost (?:my|our)"
        r"|(?:my|our|the) (?:\w+ ){1,2}(?:got|was|were|has been|have been|is|are) lost",
        5,
    ),
    (
        "did not arrive or happen",
        "nobody noone no-one one | has have had will is ever even gotten got get gets answered answers answering "
        "responded responds responding replied replies called calls helped helps came showed shows picked bothered "
        "contacted",
        r"(?:nobody|no one|noone|no-one) (?:has |have |had |will |is |ever |even )?(?:gotten back|got back|get back"
        r"|gets back|answered|answers|answering|responded|responds|responding|replied|replies|called|calls|helped"
        r"|helps|came|showed|shows|picked up|bothered|contacted)",
        1,
    ),
    ("did not arrive or happen", "supposed", r"(?:was|were) supposed to", 1),
    (
        "did not arrive or happen",
        "awaiting waiting",
        r"(?:awaiting|waiting on|waiting for) (?:my|a|an|the|your|our) (?:answer|reply|response|refund|call|callback"
        r"|update|order|delivery|package|parcel|email|confirmation|code)",
        0,
    ),
    (
        "did not arrive or happen",
        "disappeared gone",
        r"disappeared|(?:has|have|had|it'?s|is|are) gone (?:off|missing)",
        1,
    ),
    # Something does not work.
    (
        "does not work",
        _FUNCTIONS + _NEGATIONS,
        r"(?<!\bi'm )(?<!\bi am )(?<!\bi )(?<!\bwe )" + _NEGATED + r" (?:even )?" + _FUNCTION,
        3,
    ),
    (
        "does not work",
        "stopped stops quit longer",
        r"(?:stopped|stops|quit|no longer) (?:" + _FUNCTION + r"|showing|displaying|tracking)|no longer works",
        1,
    ),
    (
        "does not work",
        "crashing freezing restarting rebooting dropping disconnecting failing logging charging cutting buffering "
        "lagging turning shutting",
        r"keeps? (?:on )?(?:crashing|freezing|restarting|rebooting|dropping|disconnecting|failing|logging me out"
        r"|logging out|charging me|cutting out|buffering|lagging|turning off|shutting down)",
        2,
    ),
    (
        "does not work",
        "crash crashes crashed crashing froze freezes",
        r"crash(?:es|ed|ing)?(?! course)|froze|freezes",
        0,
    ),
    (
        "does not work",
        "issue issues problem problems trouble difficulties difficulty",
        r"(?:having|has|have|had|getting|experiencing|facing) (?:some |an |a |the same |major |serious |lots of |many "
        r"|constant |so many )?(?:issues?|problems?|trouble|difficulties|difficulty)"
        r"|(?:this|same|these|major|massive|huge|technical|login|billing|bill|account|payment|network|connection"
        r"|battery|screen|display|signal|service|common|known|recurring|ongoing) (?:issues?|problems?)",
        3,
    ),
    (
        "does not work",
        "down",
        r"(?:is|are|was|were|been|went|goes|still|is it) down|down (?:again|since|for " + _N + r")",
        2,
    ),
    (
        "does not work",
        "power internet service wifi wi-fi signal cable network electricity water broadband tv light lights "
        "connection phone heat heating been | out off down",
        r"(?:power|internet|service|wi-?fi|signal|cable|network|electricity|water|broadband|tv|lights?|connection"
        r"|phone|heat|heating) (?:\w+ )?(?:is |was |went |has been |keeps going |have been |has gone |gone )"
        r"(?:out|off|down)|(?:has|have|had) been (?:out|off) (?:since|for)",
        1,
    ),
    (
        "does not work",
        "signal service internet wifi wi-fi power connection dial network coverage water heat lights electricity "
        "broadband | no",
        r"no (?:signal|service|internet|wi-?fi|power|connection|dial tone|network|coverage|water|heat|lights"
        r"|electricity|broadband)",
        1,
    ),
    (
        "does not work",
        "power internet service signal water heat heating wifi wi-fi electricity network coverage | have" + _NEGATIONS,
        r"(?:do ?n'?t|do not|does ?n'?t|does not|did ?n'?t|did not) have (?:any )?(?:power|internet|service|signal"
        r"|water|heat|heating|wi-?fi|electricity|network|coverage)",
        4,
    ),
    ("does not work", "unable impossible", r"(?:unable|impossible) to", 0),
    (
        "does not work",
        "outage outages blackout cut nonexistent non-existent error errors glitch glitches glitchy glitching glitched "
        "bugs buggy",
        r"outages?|blackout|power cut|non-?existent|errors?|glitch(?:es|y|ing|ed)?|bugs|buggy",
        1,
    ),
    (
        "does not work",
        "access use open download update install reach login log sign load sync pay proceed book order buy checkout "
        "check complete place redeem apply view contact connect select send fix return verify reverify" + _NEGATIONS,
        _CANT + r" (?:even )?(?:proceed|book|order|buy|checkout|check ?out|check in|complete|place|redeem|apply|view"
        r"|access|use|open|download|update|install|reach|log ?in|log ?on|sign ?in|load|sync|pay|contact|connect|select"
        r"|send|fix|return|verify|reverify)",
        4,
    ),
    (
        "does not work",
        "get find see | through hold anyone anybody someone somebody my our any touch back" + _NEGATIONS,
        _CANT + r" (?:get (?:through|a hold|hold|anyone|anybody|someone|somebody|my|our|any|in touch|\w+ back)"
        r"|find my|see my)",
        3,
    ),
    (
        "does not work",
        "apart broke broken damaged defective faulty cracked ripped torn smashed scratched",
        r"(?:fell|falling|falls|fall|came|coming|comes) apart|broke (?:after|within|again)|(?:it|they|mine) broke"
        r"|(?:is|are|was|were|arrived|came|got|already) (?:broken|damaged|defective|faulty|cracked|ripped|torn"
        r"|smashed|scratched)|damaged|defective|faulty|broken(?! heart| record| english| home)",
        1,
    ),
    (
        "does not work",
        "invalid expired unavailable declined rejected",
        r"(?:is|are|says|say|shows|showing|saying|it'?s|its) (?:invalid|expired|unavailable)"
        r"|(?:card|payment|code|codes|transaction) (?:was |got |keeps getting )?(?:declined|rejected)",
        3,
    ),
    (
        "does not work",
        "let letting allow allowing | me us " + _NEGATIONS,
        r"(?:not|wo ?n'?t|wont|does ?n'?t|doesnt|is ?n'?t|isnt|ca ?n'?t|cant|would ?n'?t|did ?n'?t) (?:let|letting"
        r"|allow|allowing) (?:me|us)",
        2,
    ),
    ("does not work", "down | let letting lets", r"(?:let|letting|lets) (?:me|us) down", 2),
    (
        "does not work",
        "died",
        r"died on (?:me|us)|(?:it|they|mine) (?:just )?died|died (?:after|within|in under|in less than) " + _N,
        2,
    ),
    ("does not work", "dirty filthy", r"dirty|filthy", 0),
    (
        "does not work",
        "own itself randomly | off down on",
        r"(?:turns?|turning|turned|powers?|powering|powered|switch(?:es|ed|ing)?|shuts?|shutting) (?:off|down|on)"
        r" (?:on (?:its|it's|their) own|by itself|randomly)",
        4,
    ),
    (
        "does not work",
        "else",
        r"(?:anyone|anybody|someone) else (?:having|have|has|getting|experiencing|seeing|had)",
        1,
    ),
    (
        "does not work",
        "order service | out",
        r"out of (?:service|order)",
        2,
    ),
    ("does not work", "cut cuts | off", r"cut (?:me |us )?off|cuts (?:me |you |us )?off", 0),
    (
        "does not work",
        "messed screwed fucked",
        r"(?:is|are|was|were|got|been|keeps? getting|still) (?:messed|screwed|fucked) up",
        2,
    ),
    (
        "does not work",
        "accepted honored honoured recognized recognised shown showing appearing appear applied included updated "
        "processed credited reflected" + _NEGATIONS,
        _NOT + r" (?:being )?(?:accepted|honou?red|recogni[sz]ed|shown|showing|appearing|appear|applied|included"
        r"|updated|processed|credited|reflected)",
        3,
    ),
    (
        "does not work",
        "kicked kicks kicking logs logged logging throws threw lags",
        r"(?:kicked|kicks|kicking|logs|logged|logging|throws|threw) (?:me|us) (?:out|off)|lags",
        0,
    ),
    ("does not work", "stuck", r"stuck(?! in my head| with)", 0),
    # It cost them.
    (
        "was charged",
        "charged charging billed billing double-charged overcharge overcharged overcharges overcharging hidden",
        r"charged (?:me )?(?:twice|again|double|extra|more|for something)|double[- ]charged|overcharg(?:e|ed|es|ing)"
        r"|(?:charged|charging|billed|billing) (?:me|us)|billed (?:me )?(?:twice|again)|hidden (?:fee|fees|charges)",
        1,
    ),
    ("was charged", "money | took taken taking deducted", r"(?:took|taken|taking|deducted) (?:my|our) money", 2),
    (
        "was charged",
        "price prices rate rates bill fee fees overpriced expensive",
        r"(?:price|prices|rate|rates|bill|fee|fees) (?:increase|increased|hike|hikes|went up|going up|doubled)"
        r"|(?:increase|increased|raise|raised|hike|hiked|bump|bumped|double|doubled) (?:the |my |our |your )?"
        r"(?:price|prices|rate|rates|bill|fees?)|overpriced|too expensive",
        2,
    ),
    (
        "was charged",
        "waste rip ripoff ripped scam false",
        r"waste of money|rip ?off|ripped off|scam|false advertising",
        0,
    ),
    ("asks for a refund", "refund refunds reimburse reimbursement money", r"refunds?|reimburse(?:ment)?|money back", 0),
    # Given the wrong thing by the company, whatever it is ("sent me the wrong size"; not "I put the
    # wrong address", the customer's own slip).
    (
        "got the wrong thing",
        "wrong | sent send sending gave given delivered shipped received receive got brought charged billed",
        r"(?:sent|send|sending|gave|given|delivered|shipped|received?|got|brought|charged|billed) (?:me |us )?"
        r"(?:the |a |an )?wrong",
        3,
    ),
    # It was refused them.
    (
        "was refused",
        "reverse replace honor honour exchange accept fix cancel help refund give let transfer take issue repair "
        "credit | won't wont will wouldn't wouldnt would won refused refuses refuse refusing declined",
        r"(?:wo ?n'?t|wont|will not|would ?n'?t|refused to|refuses to|refuse to|refusing to|declined to) (?:reverse"
        r"|replace|honou?r|exchange|accept|fix|cancel|help|refund|give|let|transfer|take|issue|repair|credit)",
        2,
    ),
    ("was refused", "help" + _NEGATIONS, r"(?:ca ?n'?t|cannot|could ?n'?t|did ?n'?t|unable to) help", 2),
    ("was refused", "cancelled canceled cancelling canceling | my our", r"(?:cancell?ed|cancell?ing) (?:my|our)", 0),
    ("was refused", "denied", r"denied", 0),
    # They were treated badly.
    (
        "was treated badly",
        "rude rudest unhelpful unprofessional disrespectful demeaning impolite treated hung helpful nothelpful",
        r"rude|rudest|unhelpful|unprofessional|disrespectful|demeaning|impolite|treated (?:me |us )?like|hung up"
        r"|(?:" + _NOT + r"|non) ?-?(?:very |at all |even |really |so )?helpful",
        3,
    ),
    (
        "was treated badly",
        "ignored ignoring",
        r"(?:been|being|get|got|getting|was|were|keep getting) ignored|ignor(?:ed|ing) (?:me|us|my|our|all|every)",
        2,
    ),
    (
        "was treated badly",
        "care | customer customers",
        r"(?:do ?n'?t|does ?n'?t|do not|does not) care about (?:your |their |its )?customers?",
        2,
    ),
    # It took too long.
    (
        "took too long",
        "been",
        r"(?:it'?s|its|it has|has|have|i'?ve|we'?ve) been " + _N + r" " + _UNITS,
        2,
    ),
    ("took too long", "waiting", r"still waiting|waiting (?:for |since |over )?(?:" + _N + r" )?" + _UNITS, 1),
    (
        "took too long",
        "trying",
        r"(?:been|still|keep|kept) trying to (?:reach|contact|call|get|log|sign|order|book|pay|cancel|return|talk"
        r"|speak)",
        1,
    ),
    ("took too long", "chasing calling", r"(?:been|still|keep|kept) (?:chasing|calling)", 1),
    ("took too long", "waited", r"waited (?:for )?(?:over |almost |nearly |more than )?" + _N, 0),
    (
        "took too long",
        "long forever ages | taking takes take taken took",
        r"(?:taking|takes|take|taken|took) (?:so long|too long|forever|ages)",
        2,
    ),
    (
        "took too long",
        "hours days weeks months | late overdue now still no without",
        r"(?:hours|days|weeks|months) (?:late|overdue|now|and still|and no|without)",
        0,
    ),
    (
        "took too long",
        "late overdue behind delay delayed",
        _N + r" ?(?:h|hr|hrs|hours?|min|mins|minutes) (?:late|overdue|behind|delay|delayed)",
        3,
    ),
    (
        "took too long",
        "over nearly almost more waiting waited wait hold sitting sat stuck spent wasted",
        r"(?:over|nearly|almost|more than|waiting|waited|wait|hold|sitting|sat|stuck|spent|wasted) (?:for )?(?:over "
        r"|almost |nearly |more than |about )?" + _N + r" ?(?:hrs|hours?|mins|min|minutes)",
        0,
    ),
    (
        "took too long",
        "late",
        r"(?<!\bi'm )(?<!\bi am )(?<!\bi was )(?:running|arrived|arriving|arrives|arrive|was|are|were|being|always"
        r"|again) late|late (?:again|by)|(?:make|made|making) (?:me|us) late",
        2,
    ),
    (
        "took too long",
        "now row straight | days weeks months day week time",
        r"(?:for|in) " + _N + r" (?:days|weeks|months) (?:now|in a row|straight)|(?:day|week|time) in a row",
        6,
    ),
    (
        "took too long",
        "wait waited waiting",
        r"(?:\d+|long|hour|hours) ?-?(?:minute|min|hour|hr)? wait(?: time)?"
        r"|wait(?:ed|ing)? (?:for )?(?:ages|forever|hours|days|weeks|so long|too long)",
        2,
    ),
    ("took too long", "waste", r"waste of time", 0),
    # Self-declared, and the old ways people ask for a fix in passing.
    ("complains", "complain complains complained complaining complaint complaints", r"complain(?:s|ed|ing|ts?)?", 0),
    ("asks for a fix", "fix", r"fix (?:this|it|your|the|my)", 0),
    ("asks for an answer", "going wrong | what what's whats", r"what(?:'s| is) (?:going on|wrong) with", 2),
)
_PROBLEMS: Final = Ways(PROBLEMS)
SITUATIONS: Final = frozenset(way[0] for way in PROBLEMS)  # what a reported problem says happened


def problem_of(lowered: str, forms: set[str]) -> tuple[str, str]:
    """The first problem the text reports, as (the customer's situation, the words that tell it);
    ("", "") if none: the leftmost match of any way, found by trying only the ways the text's
    words allow (`forms`: its words as tokens.word_forms gives them). Typed apostrophes are read
    as plain ones ("can’t" is "can't")."""
    if "\u2019" in lowered:
        lowered = lowered.replace("\u2019", "'")
    return _PROBLEMS.first(lowered, forms)


def problem_in(lowered: str, words: set[str]) -> str:
    """The words of the first problem the text reports ("" if none)."""
    return problem_of(lowered, word_forms(lowered, words))[1]


_FAILURE_PHRASES: Final = Phrases(FAILURE_PHRASES)


def failure_cue(lowered: str, words: frozenset[str] | set[str]) -> str:
    if not words.isdisjoint(FAILURE_WORDS):  # most posts name no failure: no set built for them
        return min(words & FAILURE_WORDS)
    return _FAILURE_PHRASES.first(lowered, words)
