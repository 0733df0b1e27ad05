"""Word families the stemmer leaves apart: a question's verb and a report's noun for one thing.

Snowball strips inflections ("invaded" -> "invad"), not derivations, so "When did Russia invade?"
shared no term with "Russia launched a full-scale invasion" ("invas") and a passage that said
"invading" in passing won on its terms.  The Latinate verb/noun pairs of English differ at the end of
their stems in a few regular ways (invade/invasion, respond/response, defend/defence, admit/admission,
receive/reception, describe/description, assume/assumption, produce/production, resolve/resolution),
and die/death/dead is one family.  ``relatives`` gives the stems a stem may stand for; a caller keeps
those its corpus holds.  ``phrasal_words`` gives, for the phrasal verbs a question is asked with ("pulled
out", "blew up", "ran away"), the words reports write for them ("withdrew", "explosion", "fled"), and
``everyday_words`` the same for the everyday words and chat abbreviations people ask with ("nukes", "prisoner
swap", "the guy who runs the plant") where reports write "nuclear", "exchange", "director".
"""

from __future__ import annotations

import functools
import re

from index.text import lexical_tokens

# (end of one stem, end of its relative), read both ways.  Before an ending of one or two letters the
# shared beginning must be MIN_SHARED letters long, so short stems ("raid", "fund") never pair with
# unrelated words ("rais", "funs"); a longer ending ("admit"/"admiss") says enough by itself.
ENDINGS = (("d", "s"), ("nd", "nc"), ("mit", "miss"), ("ceiv", "cept"), ("b", "pt"), ("m", "mpt"), ("uc", "uct"), ("olv", "olut"))
MIN_SHARED = 4
MIN_SHARED_LONG_ENDING = 2
FAMILIES = (frozenset({"die", "death", "dead"}),)
# A country and its people's word where no regular ending joins them (index/search.py ``holds`` joins "Russia" and
# "Russian", "Ukraine" and "Ukrainian"): "the rebuilding conference in Switzerland" is "the Swiss city of Lugano".
DEMONYMS = (("Switzerland", "Swiss"), ("Netherlands", "Dutch"), ("France", "French"), ("Germany", "German"),
            ("Britain", "British"), ("Poland", "Polish"), ("Turkey", "Turkish"), ("Sweden", "Swedish"), ("Finland", "Finnish"),
            ("Denmark", "Danish"), ("Spain", "Spanish"), ("China", "Chinese"), ("Japan", "Japanese"), ("Ireland", "Irish"),
            ("Norway", "Norwegian"), ("Greece", "Greek"), ("Israel", "Israeli"), ("Iraq", "Iraqi"), ("Portugal", "Portuguese"),
            ("Belgium", "Belgian"), ("Slovakia", "Slovak"), ("Kazakhstan", "Kazakh"), ("Pakistan", "Pakistani"),
            ("Jews", "Jewish"))  # a people and its word, as a country and its people's


def relatives(stem: str) -> frozenset[str]:
    """The stems of words of ``stem``'s family, by the regular endings and the irregular families (not
    ``stem`` itself; whether a corpus holds them is the caller's question)."""
    found: set[str] = set()
    for one, other in ENDINGS:
        for end, replacement in ((one, other), (other, one)):
            shared = MIN_SHARED if len(end) <= 2 else MIN_SHARED_LONG_ENDING
            if stem.endswith(end) and len(stem) - len(end) >= shared:
                found.add(stem[: len(stem) - len(end)] + replacement)
    for family in FAMILIES:
        if stem in family:
            found |= family
    if number := _numbers().get(stem):
        found.add(number)
    found.discard(stem)
    return frozenset(found)


def demonym_twin(stem: str) -> str | None:
    """The stem of the country's or its people's word ``stem`` is the other of (DEMONYMS), or None.  A key term held
    either way and a name known either way; not searched as well: "german" found the German-made tanks of other
    reports for "germany marders for ukraine number"."""
    return _demonyms().get(stem)


# A place's name and its people's ("Europe" / "European", "Syria" / "Syrian", "Ukraine" / "Ukrainian"): the stem and
# the stem with one of these endings.
DEMONYM_ENDINGS = ("n", "an", "ian", "ean")
DEMONYM_MIN_STEM = 4


@functools.cache
def demonym_forms(stem: str) -> tuple[str, ...]:
    """The place ``stem`` is the people of, if it is ("russian" -> "russia", "ukrainian" -> "ukrain"), its people
    ("russia" -> "russian"), and its twin in DEMONYMS ("switzerland" -> "swiss").  A key term is held in any of them
    (index/search.py ``holds``), asked for each key term of each passage ranked: made once a stem."""
    places = [stem[:-1]] if stem.endswith("an") else []  # Russian, Crimean, American
    places += [stem[:-3]] if stem.endswith(("ian", "ean")) else []  # Ukrainian, European
    irregular = demonym_twin(stem)
    return (*(place for place in places if len(place) >= DEMONYM_MIN_STEM), *(stem + end for end in DEMONYM_ENDINGS),
            *((irregular,) if irregular else ()))


@functools.cache
def _demonyms() -> dict[str, str]:
    pairs = [tuple(lexical_tokens(word)[0] for word in pair) for pair in DEMONYMS]
    return {**dict(pairs), **{people: country for country, people in pairs}}


# A number written as a word or in digits ("when the total passed four million": "4 million"); not "one",
# which is mostly no number ("one of the").
NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
                "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
TENS = ("thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_digits(word: str) -> str | None:
    """The digits of a lowercase number word ("four" -> "4"), or None."""
    return _WORD_NUMBERS.get(word)


def number_twin(token: str) -> str | None:
    """The other way of writing the number ``token`` is (a number word's stem for digits, digits for the stem), or None."""
    return _numbers().get(token)


# And an ordinal ("the EU's tenth sanctions round": "its 10th package"); not "first" and "second", mostly no rank in a list.
ORDINALS = ("third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth",
            "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth")
_WORD_NUMBERS = {word: str(n) for word, n in [*zip(NUMBER_WORDS, range(2, 21)), *zip(TENS, range(30, 100, 10))]} | {
    word: f"{n}{'rd' if n == 3 else 'th'}" for word, n in zip(ORDINALS, range(3, 21))}


@functools.cache
def _numbers() -> dict[str, str]:
    """The stem of each number word -> its digits, and the digits -> the stem."""
    stems = {lexical_tokens(word)[0]: digits for word, digits in _WORD_NUMBERS.items()}
    return {**stems, **{digits: stem for stem, digits in stems.items()}}


# A capital named for its government, and the country the reports name instead ("when Zelensky came to
# Washington": "met Biden at the White House", "the United States announced"), or a city named for the courts
# it seats ("the judges in The Hague": "the International Court of Justice"): one place to a key term
# (index/search.py ``holds``), in either direction; a name of two groups is held by the names of both.
ALIASES = (
    ("Washington", "United States", "American", "White House"),
    ("Washington", "Congress"),  # not "American": the US Congress is in Washington, Americans everywhere
    ("American", "US"),  # not "Washington": "the US" is any report of American aid, "Washington" a visit there
    ("London", "Britain", "British", "UK", "United Kingdom", "Downing Street"),
    ("Brussels", "EU", "European Union", "European Commission"),
    ("Moscow", "Kremlin"),
    ("Piter", "Petersburg"),  # St Petersburg, as Russians call it
    ("Minsk", "Belarus", "Belarusian"),
    ("Helsinki", "Finland", "Finnish"),
    ("Stockholm", "Sweden", "Swedish"),
    ("Warsaw", "Poland", "Polish"),
    ("Ankara", "Turkey", "Turkish"),
    ("Tehran", "Iran", "Iranian"),
    ("Beijing", "China", "Chinese"),
    # (a country's people's word is its demonym, DEMONYMS: held, not searched)
    ("Copenhagen", "Denmark"), ("Oslo", "Norway"), ("Berlin", "Germany"), ("Paris", "France"), ("Rome", "Italy"),
    ("Vilnius", "Lithuania"), ("Budapest", "Hungary"), ("Bucharest", "Romania"), ("Chisinau", "Moldova"),
    ("Tokyo", "Japan"), ("Ottawa", "Canada"), ("Sofia", "Bulgaria", "Bulgarian"), ("Bratislava", "Slovakia", "Slovak"),
    ("Prague", "Czech Republic", "Czech"), ("Tallinn", "Estonia", "Estonian"), ("Riga", "Latvia", "Latvian"),
    ("Tbilisi", "Georgia", "Georgian"), ("Pyongyang", "North Korea"), ("Seoul", "South Korea"),
    ("Rada", "Verkhovna Rada", "parliament"),  # Ukraine's parliament, which reports in English often call just that
    ("Hague", "International Court of Justice", "World Court", "ICJ", "International Criminal Court", "ICC"),
    ("Bundeswehr", "German armed forces", "German army"),  # and an army by its own name
    ("Donbas", "Donbass", "Donetsk Luhansk"),  # and a region by the two it is made of
    ("Zmiinyi", "Zmiinyy", "Snake Island"),  # and a place by its Ukrainian name
    ("Baltic", "Nord Stream"),  # and the pipelines under the Baltic Sea by their name
    ("Nordic", "Finland Sweden"),  # and the two Nordic countries that applied to join NATO together
    ("Finns", "Finland", "Finnish"), ("Swedes", "Sweden", "Swedish"), ("Danes", "Denmark", "Danish"),  # and a people by its country
    ("Volyn", "Lutsk"), ("Zakarpattia", "Uzhhorod"), ("Kirovohrad", "Kropyvnytskyi"),  # and a region by its capital's own name
    # and an office by its building: reports give the Pentagon as its officials and its secretary
    ("Pentagon", "Defense Department", "Department of Defense", "US defence official", "US defense official",
     "Defense Secretary", "Defence Secretary"),
)


def aliases(token: str) -> tuple[tuple[str, ...], ...]:
    """The other names of the place the one-token name ``token`` is (ALIASES), each as its tokens."""
    return _aliases().get(token, ())


@functools.cache
def _aliases() -> dict[str, tuple[tuple[str, ...], ...]]:
    # A one-word name by its word's own token ("Donbas" is also searched as its part "bas": not a name of two words).
    groups = [[tuple(lexical_tokens(name)[:1] if " " not in name else lexical_tokens(name)) for name in group] for group in ALIASES]
    found: dict[str, dict[tuple[str, ...], None]] = {}
    for group in groups:
        for name in group:
            if len(name) == 1:
                found.setdefault(name[0], {}).update(dict.fromkeys(other for other in group if other != name))
    return {token: tuple(others) for token, others in found.items()}


# Phrasal verbs people ask with and the words reports write for them ("Why did Ukraine pull out of Lysychansk?"
# -> "withdrew", "withdrawal"): (the verb's forms, its particle, the report's words).  The particle may follow
# a word or two later ("pulled its troops out").
PHRASAL: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    (("blow", "blows", "blew", "blown", "blowing"), "up", ("explosion", "exploded", "blast", "destroyed")),
    (("pull", "pulls", "pulled", "pulling"), "out", ("withdraw", "withdrew", "withdrawn", "withdrawal", "retreat", "left")),
    (("pull", "pulls", "pulled", "pulling"), "back", ("withdraw", "withdrew", "withdrawn", "withdrawal", "retreat", "left")),
    (("run", "runs", "ran", "running"), "away", ("fled", "flee", "escaped")),
    (("call", "calls", "called", "calling"), "off", ("cancelled", "postponed", "suspended", "halted")),
    (("take", "takes", "took", "taken", "taking"), "over", ("captured", "seized", "control", "replaced", "appointed")),
    (("put", "puts", "putting"), "charge", ("appointed", "commander", "command")),
    (("come", "comes", "came", "coming"), "home", ("returned", "return")),
    (("come", "comes", "came", "coming", "get", "got"), "back", ("returned", "return", "recaptured", "retook", "regained")),
    (("take", "takes", "took", "taken", "taking"), "back", ("recaptured", "retook", "retaken", "regained", "liberated")),
    (("shoot", "shoots", "shot", "shooting"), "down", ("intercepted", "downed")),
    (("step", "steps", "stepped", "stepping"), "down", ("resigned", "resignation")),
    (("hand", "hands", "handed", "handing"), "over", ("transferred", "returned", "delivered")),
    (("give", "gives", "gave", "given", "giving"), "up", ("surrendered", "surrender")),
    (("break", "breaks", "broke", "broken", "breaking"), "out", ("erupted", "started")),
    (("hit", "hits", "hitting", "strike", "struck"), "back", ("retaliation", "retaliated", "response")),
    (("carry", "carries", "carried", "carrying"), "out", ("conducted",)),
    (("cut", "cuts", "cutting"), "off", ("severed", "disconnected", "lost")),
    (("set", "sets", "setting"), "up", ("established", "created")),
    (("sign", "signs", "signed", "signing"), "up", ("enlisted", "volunteered", "volunteers")),
    (("wipe", "wipes", "wiped", "wiping"), "out", ("destroyed",)),
    (("get", "gets", "got", "getting"), "out", ("evacuated", "evacuation", "escaped", "left")),
    (("send", "sends", "sent", "sending"), "back", ("returned", "deported")),
    (("turn", "turns", "turned", "turning"), "down", ("rejected", "declined")),
    (("look", "looks", "looked", "looking"), "into", ("investigate", "investigation")),
    (("close", "closes", "closed", "closing", "shut", "shuts", "shutting"), "sky", ("no-fly", "airspace")),  # "close the sky": a no-fly zone
    (("get", "gets", "got", "getting"), "across", ("cross", "crossing", "crossed")),
    (("sign", "signs", "signed", "signing"), "off", ("approved", "approval", "authorised")),
    (("keep", "keeps", "kept", "keeping"), "on", ("extended", "extension", "retained")),
    (("kick", "kicks", "kicked", "kicking"), "off", ("began", "started", "launched")),
    (("kick", "kicks", "kicked", "kicking"), "in", ("effect", "force")),
    (("wrap", "wraps", "wrapped", "wrapping"), "up", ("ended", "completed", "finished")),
    (("tag", "tags", "tagged", "tagging"), "along", ("accompanied", "joined")),
    (("knock", "knocks", "knocked", "knocking"), "out", ("disabled", "offline", "destroyed")),
    (("black", "blacks", "blacked", "blacking"), "out", ("blackouts", "blackout", "darkness", "electricity")),
    (("dig", "digs", "dug", "digging"), "up", ("exhumation", "exhumations", "exhumed", "exhume")),
    (("hook", "hooks", "hooked", "hooking"), "up", ("reconnected", "connected", "restored")),
    (("run", "runs", "ran", "running"), "out", ("expire", "expires", "expired", "exhausted")),
    (("show", "shows", "showed", "shown", "showing"), "up", ("arrived", "delivered")),
    (("keep", "keeps", "kept", "keeping"), "going", ("continuing", "continued", "continue")),
    (("hold", "holds", "held"), "up", ("blocked", "objections", "delayed", "veto")),  # not "how are they holding up?"
    (("pick", "picks", "picked", "picking"), "up", ("detained", "arrested", "detention")),
)
_PHRASAL = tuple((re.compile(rf"\b({'|'.join(forms)})(?:\s+[\w'’-]+){{0,2}}?\s+(?:in\s+)?{particle}\b", re.IGNORECASE), written)
                 for forms, particle, written in PHRASAL)


def phrasal_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The phrasal verbs of ``text``, each as (its verb as written, the words reports write for it)."""
    return [(match.group(1), written) for pattern, written in _PHRASAL if (match := pattern.search(text))]


# Everyday words and chat abbreviations people ask with, and the words reports write for them: (a pattern whose
# first group is the word, the report's words).  Only words a report would not use themselves, so a question
# in a report's own words is searched as before.
EVERYDAY: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"(nukes?|nuked)", ("nuclear",)),
    (r"(battlefield)\s+(?:nukes?|nuclear)", ("tactical",)),
    (r"(swaps?|swapped)", ("exchange", "exchanged")),
    (r"(pows?)", ("prisoners",)),
    (r"(flats)", ("residential", "apartment")),
    (r"(jets)", ("aircraft", "warplanes", "fighter")),
    (r"(choppers?)", ("helicopter", "helicopters")),
    (r"(kids)", ("children",)),
    (r"(ammo)", ("ammunition", "shells")),
    (r"(arty)", ("artillery",)),
    (r"(subs)", ("submarines",)),
    (r"(drafted|draft)", ("mobilisation", "mobilised", "conscription")),
    (r"(aid)\s+(?:packages?|deal)", ("assistance",)),
    (r"who\s+(runs|ran|heads|headed|leads|led|manages)\s+the\b", ("director", "head", "chief")),
    (r"(boss|bosses)", ("director", "head", "chief", "leader", "secretary")),
    (r"(blocked|blocking|blocks)\s+(?:\w+\s+){0,3}?(?:vote|resolution|motion)", ("vetoed", "veto")),
    (r"(grab|grabs|grabbed|grabbing|snatched)", ("seized", "detained", "captured", "abducted")),
    (r"(take|takes|took|taken|taking)\s+control\b", ("seized", "captured")),
    (r"(pms?)", ("prime",)),
    (r"(ppl)", ("people",)),
    (r"(villages|towns)", ("settlements",)),
    (r"(heads-up|heads\s+up)", ("notified", "warned", "informed")),
    (r"(?:ukrainian|ukraine's)\s+(capital)", ("kyiv",)),
    (r"(?:russian|russia's)\s+(capital)", ("moscow",)),
    (r"(harbours?|harbors?)", ("ports", "port")),
    (r"(assurances?)", ("guarantees", "guarantee")),
    (r"(clear|clears|cleared|clearing)\s+(?:\w+\s+){0,4}?(?:sea\s+)?mines", ("demined", "demining", "demine")),
    (r"(threaten|threatens|threatened|threatening)", ("warned", "warning")),
    (r"(planes?)", ("aircraft", "jets", "bombers")),
    (r"(hackers?|hacked|hacking)", ("cyberattack", "cyberattacks", "websites")),
    (r"top\s+(diplomats?)", ("foreign", "secretary")),
    (r"(call-?ups?)", ("mobilisation", "mobilised", "conscription")),
    (r"(number)\s+two", ("deputy",)),
    (r"(mps)", ("lawmakers", "parliament", "deputies", "duma")),
    (r"(meps)", ("lawmakers", "parliament", "european")),
    (r"(learn|learns|learned|learnt|learning)", ("trained", "training")),
    (r"(?:go|goes|went|going|get|got)\s+(?:to\s+go\s+)?(first)", ("priority",)),
    (r"(write-?ups?)", ("report",)),
    (r"(operators|workers)", ("staff", "personnel", "employees")),
    (r"(paperwork)", ("questionnaire", "documents", "application")),
    (r"(warming)\s+(?:points|centres|centers|tents)", ("invincibility", "heating")),
    (r"the\s+(capital)(?!\s+of\b)", ("kyiv",)),  # the war's capital; "the capital of Belarus" is not
    (r"(payback)", ("retaliation", "revenge")),
    (r"(lights)", ("electricity", "power")),
    (r"(envoys?)", ("ambassador",)),
    (r"(sidelined)", ("suspended", "dismissed", "removed")),
)
# Acronyms people ask with and reports write out ("the NBU": "the National Bank of Ukraine"): (the acronym, the
# report's words).  Matched as typed in capitals, with or without a plural "s": "mod" in chat is a moderator.
ACRONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("MoD|MOD", ("ministry", "defence", "defense")),
    ("DoD", ("pentagon", "defense", "department")),
    ("NBU", ("national", "bank")),
    ("MFA", ("foreign", "ministry")),
    ("ZNPP", ("zaporizhzhia", "nuclear", "plant")),
    ("NPP", ("nuclear", "plant")),
    ("AFU|ZSU", ("armed", "forces", "army")),
    ("UNSC", ("security", "council")),
    ("UNGA", ("general", "assembly")),
    ("NSDC", ("security", "council")),
    ("GUR", ("intelligence",)),
    ("DPR", ("donetsk", "separatist")),
    ("LPR", ("luhansk", "separatist")),
    ("POTUS", ("president",)),
    ("PMC", ("private", "military", "mercenary", "mercenaries")),
    ("MLRS", ("rocket", "launchers", "launch")),
    ("APC", ("armoured", "armored", "personnel")),
    ("IFV", ("infantry", "fighting")),
    ("MBT", ("tanks", "tank")),
    ("ICBM", ("intercontinental", "ballistic")),
    ("UAV", ("drones", "drone", "unmanned")),
    ("KIA", ("killed",)),
    ("ICRC", ("red", "cross")),
    ("IOM", ("migration",)),  # the International Organization for Migration
    ("OHCHR", ("human", "rights")),
    ("CPI", ("inflation", "consumer")),
    ("GDP", ("economy", "economic", "output")),
    ("ICJ", ("international", "court", "justice")),
    ("DDoS|DDOS", ("denial", "service", "cyberattack", "cyberattacks")),  # distributed denial-of-service
    ("TV", ("televised", "television")),
    ("WWII|WW2", ("second", "world", "war")),
    ("WWI|WW1", ("first", "world", "war")),
)
_EVERYDAY = (*(
    (re.compile(rf"\b{pattern}\b", re.IGNORECASE), written) for pattern, written in EVERYDAY
), *((re.compile(rf"\b({pattern})s?\b"), written) for pattern, written in ACRONYMS))


def everyday_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The everyday words of ``text``, each as (the word as written, the words reports write for it)."""
    return [(match.group(1), written) for pattern, written in _EVERYDAY if (match := pattern.search(text))]

