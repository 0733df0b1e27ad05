"""Time windows named in questions ("in March 2022", "last week", "у перші дні війни") and dates stated in
sentences ("on Friday", "8 апреля"), in English, Ukrainian and Russian.

``parse_window`` turns the first time expression of a question into an inclusive date ``Window``, so search
can keep to that period; ``strip_window`` removes the phrase so it does not steer the text search;
``format_window`` says the period back to the user; ``stated_date`` reads the date a news sentence gives
for its event. Expressions are recognised by precompiled regular expressions over fixed tables of words,
so a question without one costs a few regex scans, and nothing here raises on odd input.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dateutil.easter import EASTER_ORTHODOX, EASTER_WESTERN, easter

# --- words ------------------------------------------------------------------------------------
MONTHS: dict[str, tuple[str, ...]] = {  # every spelling of each month, January first
    "en": ("january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
           "august aug", "september sept sep", "october oct", "november nov", "december dec"),
    "uk": ("січень січня січні січнем січ", "лютий лютого лютому лютим лют", "березень березня березні березнем бер",
           "квітень квітня квітні квітнем квіт", "травень травня травні травнем трав", "червень червня червні червнем черв",
           "липень липня липні липнем лип", "серпень серпня серпні серпнем серп", "вересень вересня вересні вереснем вер",
           "жовтень жовтня жовтні жовтнем жовт", "листопад листопада листопаді листопадом лист",
           "грудень грудня грудні груднем груд"),
    "ru": ("январь января январе январём январем янв", "февраль февраля феврале февралём февралем февр фев",
           "март марта марте мартом мар", "апрель апреля апреле апрелем апр", "май мая мае маем",
           "июнь июня июне июнем июн", "июль июля июле июлем июл", "август августа августе августом авг",
           "сентябрь сентября сентябре сентябрём сентябрем сент сен", "октябрь октября октябре октябрём октябрем окт",
           "ноябрь ноября ноябре ноябрём ноябрем нояб ноя", "декабрь декабря декабре декабрём декабрем дек"),
}
PRINTED = {  # month after a day number, as a newspaper prints it
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "uk": ("січ.", "лют.", "бер.", "квіт.", "трав.", "черв.", "лип.", "серп.", "вер.", "жовт.", "лист.", "груд."),
    "ru": ("янв.", "февр.", "марта", "апр.", "мая", "июня", "июля", "авг.", "сент.", "окт.", "нояб.", "дек."),
}
OPEN_WORDS = {"en": ("since", "until"), "uk": ("з", "до"), "ru": ("с", "по")}
ANY_TIME = {"en": "any time", "uk": "будь-коли", "ru": "за всё время"}
SEASONS = {  # first month -> spellings; the adverbs ("влітку", "летом") say "in summer" on their own
    12: "winter winters зима зими зиму взимку зимою зимой", 3: "spring весна весни навесні весною весной",
    6: "summer літо літа влітку літом лето лета летом", 9: "autumn fall осінь осені восени осінню осень осенью",
}
SEASON_ADVERBS = {"взимку", "зимою", "зимой", "навесні", "весною", "весной", "влітку", "літом", "летом", "восени", "осінню",
                  "осенью"}
WEEKDAYS = ("monday понеділок понеділка понедельник понедельника", "tuesday вівторок вівторка вторник вторника",
            "wednesday середа середу середи среда среду среды", "thursday четвер четверга четверг",
            "friday п'ятниця п'ятницю п'ятниці пятница пятницу пятницы", "saturday субота суботу суботи суббота субботу субботы",
            "sunday неділя неділю неділі воскресенье воскресенья")
# An English weekday's name, for patterns of other modules ("said on Saturday", "last saturday or on sunday").
WEEKDAY_NAME = "(?:" + "|".join(forms.split()[0] for forms in WEEKDAYS) + ")"
NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "twelve": 12, "два": 2, "дві": 2, "три": 3, "чотири": 4, "четыре": 4}
INVASION = dt.date(2022, 2, 24)  # the full-scale invasion: day one of the war's own calendar

_MONTH_OF = {form: n for lang in MONTHS.values() for n, forms in enumerate(lang, 1) for form in forms.split()}
_SEASON_OF = {form: month for month, forms in SEASONS.items() for form in forms.split()}
_WEEKDAY_OF = {form: n for n, forms in enumerate(WEEKDAYS) for form in forms.split()}


def _words(forms) -> str:
    """An alternation of words as a prefix tree, so a scan tries one branch per first letter, not one per word."""
    tree: dict = {}
    for form in forms:
        node = tree
        for char in form:
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict) -> str:
        alternatives = [("['’ʼ]" if c == "'" else re.escape(c)) + branch(child) for c, child in node.items() if c]
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})" if alternatives else ""
        return f"(?:{body})?" if body and "" in node else body

    return branch(tree)


# --- patterns: one per kind of expression ---------------------------------------------------------
_FLAGS = re.IGNORECASE | re.VERBOSE
MONTH = rf"\b(?:{_words(_MONTH_OF)})\b\.?"
DAY = r"\b(?<![\d.,])(?:[12]\d|3[01]|0?[1-9])(?![\d%]|[.,]\d)(?:st|nd|rd|th|-?го)?"
YEAR = r"\b(?<![$€£#\d.,])(?:199\d|20\d\d)(?![\d%]|[.,]\d)"
YEAR_WORD = r"(?:\s*(?:року|році|рік|р\.|году|года|год|г\.)(?!\w))?"
PARTS = r"""early|mid|late|(?:(?:at|in)\s+)?the\s+(?:beginning|start|middle|end)\s+of
    |(?:(?:at|in|during|over)\s+)?the\s+(?:first|last|final)\s+(?:few\s+)?(?:week|days)\s+of
    |the\s+(?:first|last|final)\s+day\s+of
    |на\s+початку|наприкінці|(?:[ву]\s+)?(?:кінці|середині)|в\s+(?:начале|конце|середине)"""
SEASON_REL = r"this|last|цього|цієї|минулого|минулої|этим|этой|этого|прошлым|прошлой|прошлого"
POINT = rf"""(?P<iso_y>{YEAR})-(?P<iso_m>0?[1-9]|1[0-2])-(?P<iso_d>{DAY})
    |\b(?<![\d.])(?P<dot_d>[12]\d|3[01]|0?[1-9])\.(?P<dot_m>0?[1-9]|1[0-2])\.(?P<dot_y>199\d|20\d\d)(?![\d%]|[.,]\d)
    |\b(?<![\d./])(?!24/7\b)(?P<slash_a>[12]\d|3[01]|0?[1-9])/(?P<slash_b>[12]\d|3[01]|0?[1-9])(?:/(?P<slash_y>199\d|20\d\d|\d\d))?(?![\d/%]|[.,]\d)
    |(?:\bthe\s+)?(?P<dmy_d>{DAY})\s+(?:of\s+)?(?P<dmy_m>{MONTH})(?:,?\s+(?P<dmy_y>{YEAR}){YEAR_WORD})?
    |(?P<md_m>{MONTH})(?:\s+(?P<md_d>{DAY})(?:,?\s+(?P<md_y>{YEAR}))?|,?\s+(?:of\s+)?(?P<my_y>{YEAR}){YEAR_WORD})?
    |(?P<part>\b(?:{PARTS}))[\s-]*(?:(?P<part_m>{MONTH})(?:,?\s+(?P<part_y>{YEAR}){YEAR_WORD})?|(?P<part_year>{YEAR}){YEAR_WORD})
    |(?:(?P<season_rel>\b(?:{SEASON_REL}))\s+)?(?:\bthe\s+)?(?P<season>\b(?:{_words(_SEASON_OF)})\b)
        (?:,?\s+(?:of\s+)?(?P<season_y>{YEAR})(?:[-/–]\d{{2,4}})?{YEAR_WORD})?
    |(?P<year>{YEAR}){YEAR_WORD}"""
POINT_FREE = re.sub(r"\(\?P<\w+>", "(?:", POINT)  # the same, without group names, to embed twice in a range
PREP = r"in|during|throughout|over|of|on|for|from|у|в|во|протягом|впродовж|на|за|в\s+течение|на\s+протяжении"
_POINT = re.compile(rf"(?:\b(?P<prep>{PREP})\s+(?:the\s+)?)?(?:{POINT})", _FLAGS)
_POINT_ALONE = re.compile(POINT, _FLAGS)
_OPEN = re.compile(rf"""\b(?P<op>since|after|before|prior\s+to|until|till|by|up\s+to|as\s+of|through|from|starting(?:\s+from)?
    |з|із|від|після|до|по|починаючи\s+з|с|со|от|после|начиная\s+с)\s+(?P<a>{POINT_FREE})
    (?P<on>\s+(?:on|onwards?|forward|to\s+(?:now|date|today)|until\s+now))?""", _FLAGS)
_RANGE = re.compile(rf"""(?:\b(?P<lead>between|from|з|із|від|між|с|со|от|между)\s+)?(?P<a>{POINT_FREE})
    (?:\s*[-–—]\s*|\s+(?P<word>and|to|until|till|through|thru|і|й|та|и|по|до)\s+)(?P<b>{POINT_FREE})""", _FLAGS)
# "19-20 November 2022", "between 19 and 20 November", "November 19-20": days of one month.
_DAY_TO = r"(?:\s*[-–—]\s*|\s+(?:and|to|until|till|through)\s+)"
_DAY_RANGE = re.compile(rf"""(?:\bon\s+)?(?:\b(?P<lead>between|from)\s+)?(?:\bthe\s+)?(?P<d1>{DAY}){_DAY_TO}
        (?:the\s+)?(?P<d2>{DAY})\s+(?:of\s+)?(?P<m>{MONTH})(?:,?\s+(?P<y>{YEAR}){YEAR_WORD})?
    |(?:\bon\s+)?(?P<m2>{MONTH})\s+(?P<e1>{DAY}){_DAY_TO}(?P<e2>{DAY})(?:,?\s+(?P<y2>{YEAR}))?""", _FLAGS)
NUMBER = rf"\d{{1,3}}|{_words(NUMBERS)}"
UNIT = r"days?|weeks?|months?|years?|дн\w*|день|тиж\w*|недел\w*|місяц\w*|месяц\w*|рік|рок\w*|год\w*|лет"
_RELATIVE = re.compile(rf"""\b(?:(?P<day_before>(?:the\s+)?(?:day\s+before\s+yesterday|night\s+before\s+last)|позавчора|позавчера)
    |(?P<yesterday>yesterday|вчора|учора|вчера)|(?P<today>today|сьогодні|сегодня
        |this\s+(?:morning|afternoon|evening)|tonight)
    |(?P<last_night>last\s+night|цієї\s+ночі|минулої\s+ночі|этой\s+ночью|прошлой\s+ночью)
    |(?P<this_week>this\s+week|цього\s+тижня|на\s+цьому\s+тижні|на\s+этой\s+неделе)
    |(?P<last_week>минулого\s+тижня|на\s+минулому\s+тижні|на\s+прошлой\s+неделе)
    |(?P<last_month>(?:[ву]\s+)?минулому\s+місяці|минулого\s+місяця|в\s+прошлом\s+месяце)
    |(?P<this_month>this\s+month|цього\s+місяця|в\s+этом\s+месяце)|(?P<this_year>this\s+year|цього\s+року|в\s+этом\s+году)
    |(?P<last_year>минулого\s+року|торік|в\s+прошлом\s+году)
    |(?P<ago>(?P<ago_n>{NUMBER})\s+(?P<ago_unit>{UNIT})\s+(?:ago|тому|назад))
    |(?P<lead>(?:in|over|during|within|for|за)\s+)?(?P<the>the\s+)?(?P<which>last|past|останн\w*|последн\w*)
        \s+(?:(?P<n>{NUMBER})\s+)?(?P<unit>{UNIT}))\b(?!\s+of\b)""", _FLAGS)
WAR = r"""(?:the\s+)?(?:full[-\s]scale\s+|russian\s+|повномасштабн\w+\s+|полномасштабн\w+\s+)?
    (?:war|invasion|війни|вторгнення|войны|вторжения)"""
_WAR = re.compile(rf"""(?:\b(?:in|during|over|у|в)\s+)?(?:\b(?P<its>its|their)\s+|\bthe\s+)?(?P<first>\b(?:first|перш\w+|перв\w+))\s+
        (?:(?P<n>\d{{1,3}})\s+)?(?:few\s+|кілька\s+|несколько\s+)?
        (?P<unit>weekends?|days?|weeks?|months?|years?|дн\w+|день|тиж\w+|недел\w+|місяц\w*|месяц\w*|рік|року|год|года)\b
        (?P<war>\s+(?:of\s+)?{WAR})?(?!\s+of\b)
    |\b(?P<since>since|from|з|із|від|с|со|от)\s+(?:the\s+)?(?P<start>(?:start|beginning|outbreak)\s+of\s+|початку\s+|моменту\s+
        |начала\s+|момента\s+)?{WAR}(?:\s+(?:began|started|broke\s+out))?
    |\b(?P<before>before|prior\s+to|до)\s+(?:the\s+)?(?:(?:start|beginning|outbreak)\s+of\s+|початку\s+|начала\s+)?{WAR}""",
                  _FLAGS)
# An event of its own before "the first days" makes them its days, not the war's ("how far did the counteroffensive get in
# the first 4 days"); a typo with a letter missing too ("counterofensive").
_OWN_EVENT = re.compile(r"\b(?:counter-?)?of?f?ensive|\bsiege\b|\btalks\b|\bevacuations?\b|\boccupation\b|\bmobili[sz]ation\b"
                        r"|\bblockade\b|\bdeal\b|\bceasefire\b|\btruce\b|\bexercises?\b|\bcampaign\b|\bpush\b", re.IGNORECASE)
_OWN_EVENT_REACH = 50  # characters before "the first days": the event is of the same clause
# "Before the war" after these describes how things were, as reports written during the war tell it ("the 45,000 who
# lived there before the war", "its population before the invasion", "grain exports per month before the war"), not a
# time to search.
_PRE_WAR_STATE = re.compile(r"""\b(?:lived|live|lives|living|population|inhabitants|residents|home\s+to|used\s+to|жил\w*|прожива\w*
    |населення|населения|мешкал\w*|(?:per|each)\s+(?:day|week|month|year))\b(?:\W+\w+){0,3}\W*$""", _FLAGS)
# "On day two of the invasion", "the third day of the war", "the day before the invasion", "the eve of the war": one day
# of the war's calendar.
_DAY_ORDINALS = {"second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6,
                 "seventh": 7, "7th": 7}
_WAR_DAY = re.compile(rf"""(?:\b(?:on|by)\s+)?(?:\bthe\s+)?\b(?:day\s+(?P<n>{NUMBER})\s+of|(?P<nth>{_words(_DAY_ORDINALS)})\s+day\s+of
    |day\s+(?P<side>before|after)|(?P<eve>eve)\s+of)\s+{WAR}\b(?!['’]s)""", _FLAGS)  # "a day after the war's anniversary": not the war's day
# "A few days into the war", "six months into the invasion": a point of the war's own calendar, searched around it.
_INTO_WAR = re.compile(rf"""\b(?P<n>{NUMBER}|a\s+few|a\s+couple\s+of|several)\s+(?P<unit>days?|weeks?|months?|years?)\s+
    (?:in)?to\s+{WAR}\b""", _FLAGS)
# "On the anniversary of the invasion", "the second anniversary of the war": 24 February of a later year.
_NTH = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_NTH_WORDS = _words(_NTH)
_ANNIVERSARY = re.compile(rf"""\b(?:on\s+)?(?:the\s+)?(?:(?P<nth>{_NTH_WORDS})\s+)?anniversary\s+of\s+{WAR}\b
    |\b{WAR}['’]s\s+(?:(?P<its_nth>{_NTH_WORDS})\s+)?anniversary\b""", _FLAGS)  # "the war's first anniversary"
# "Just after Orthodox Christmas 2023", "over Easter", "перед Великоднем": a holiday is a day of the calendar (Easter's
# moves: dateutil's rule).  Only after a word that makes it a time: "the Christmas ceasefire" names an event.
_HOLIDAYS = {  # a holiday's spelling (lower case, one space) -> (month, day), or "easter" / "orthodox easter"
    "christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24), "orthodox christmas": (1, 7),
    "new year": (1, 1), "new year's": (1, 1), "new year's day": (1, 1), "new year's eve": (12, 31), "new years": (1, 1),
    "new years eve": (12, 31), "easter": "easter", "orthodox easter": "orthodox easter", "independence day": (8, 24),
    "victory day": (5, 9), "halloween": (10, 31), "великдень": "orthodox easter", "великодня": "orthodox easter", "великоднем": "orthodox easter",
    "пасха": "orthodox easter", "пасхи": "orthodox easter", "пасху": "orthodox easter", "новий рік": (1, 1),
    "нового року": (1, 1), "новый год": (1, 1), "нового года": (1, 1),
}
# A holiday before one of these is part of an event's name: "the Christmas ceasefire", "the Victory Day parade".
_EVENT_NOUNS = (r"ceasefire|truce|parade|offensive|strikes?|attacks?|exchange|swap|address|speech|message|services?"
                r"|celebrations?|holidays?|bombing|shelling|barrage|greetings?|тиша|перемир\w*|парад\w*|обмін\w*|обмен\w*")
_HOLIDAY_NAMES = _words(name.replace(" ", "_") for name in _HOLIDAYS).replace("_", r"\s+")
_HOLIDAY = re.compile(rf"""(?P<rel>\b(?:(?:just|right|shortly|soon|days|a\s+day|a\s+week)\s+)?(?:after|before|around|over|at|on|during|for|until|by)
        |\b(?:після|перед|на|до|під\s+час|после|во\s+время)\b)\s+(?:the\s+)?
    (?P<name>{_HOLIDAY_NAMES})\b
    (?:\s+(?:of\s+)?(?P<year>{YEAR}))?
    (?!\s+(?:{_EVENT_NOUNS})\b)""", _FLAGS)
_HOLIDAY_WORDS = {word for name in _HOLIDAYS for word in name.split()}
HOLIDAY_MARGIN_DAYS = 7  # "after Easter": the week after it; "before", "for": the week before; "over", "at": the day either side
_BARE = frozenset({"on", "у", "в", "во"})  # "on Friday": a Friday; "last Friday", "минулої п'ятниці": the latest one
_WEEKDAY = re.compile(rf"\b(?:(?P<mod>on|last|past|this|next|every|coming|у|в|во|минул\w*|прошл\w*|наступн\w*|следующ\w*"
                      rf"|кожн\w*|кажд\w*)\s+)?(?P<day>\b(?:{_words(_WEEKDAY_OF)}))\b", re.IGNORECASE)
_YESTERDAY = re.compile(r"\b(?:yesterday|вчора|учора|вчера)\b", re.IGNORECASE)
_RANGE_AFTER = re.compile(rf"\s*(?:[-–—]|(?:to|and|until|till|through|до|по|і|и|та)\b)\s*(?:\d|{MONTH})", re.IGNORECASE)
_NOT_A_DAY_OF_ITS_OWN = {"since", "from", "between", "until", "till", "after", "before", "by", "to", "and", "through", "з", "із",
                         "від", "до", "після", "по", "між", "і", "с", "со", "от", "после", "между", "и", "та", "-", "–", "—"}
_TOKEN = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\w+")  # a day written with slashes ("1/26") is one word
UNIT_STEMS = ("day", "week", "month", "year", "дн", "ден", "тиж", "недел", "місяц", "месяц", "рік", "рок", "год", "лет")
_CALENDAR_WORDS = set(_MONTH_OF) | set(_SEASON_OF)
_RELATIVE_WORDS = {"yesterday", "позавчора", "позавчера", "today", "вчора", "учора", "вчера", "сьогодні", "сегодня", "торік",
                   "morning", "afternoon", "evening", "tonight", "night", "ночі", "ночью"}
_WAR_WORDS = {"war", "invasion", "війни", "вторгнення", "войны", "вторжения"}
_ENDS_HERE = re.compile(r"\s*[?.!]*\s*$")
# A lowercase word after "the YEAR" makes the year part of a name ("the 2015 talks"), not a time.
_ATTRIBUTIVE = re.compile(r"\s+(?!and\b|or\b|to\b|until\b|till\b|through\b)[a-z]")
_WEAK_PREP = {"of", "for", "from", "on", "over", "за", "на"}  # a bare year after these must end a clause


@dataclass(frozen=True)
class Window:
    """An inclusive period of dates named in a question."""

    since: dt.date | None  # inclusive; None = open
    until: dt.date | None  # inclusive; None = open
    phrase: str  # the words of the question that named it, as typed ("in March 2022")
    relative_to: str  # "today", "corpus" (its last date) or "calendar" (absolute)


@dataclass(frozen=True)
class _Point:
    """A date, part of a month, month, season or year, with or without its year."""

    month: int | None  # None: a whole year; for a season, its first month
    day: int | None = None
    part: int | None = None  # 0 early (1-10), 1 mid (11-20), 2 late (21-end)
    season: bool = False
    year: int | None = None
    bare: bool = False  # a lone month, season or year: only a time when a preposition leads to it

    def span(self, year: int) -> tuple[dt.date, dt.date]:
        if self.month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        first = dt.date(year, self.month, 1)
        if self.day is not None:
            return (day := first.replace(day=min(self.day, _month_end(first).day))), day
        if self.season:
            return first, _month_end(_add_months(first, 2))
        if self.part is None:
            return first, _month_end(first)
        last = first.replace(day=10 * self.part + 10) if self.part < 2 else _month_end(first)
        return first.replace(day=(1, 11, 21)[self.part]), last

    def recent_year(self, anchor: dt.date) -> int:
        """The year of the latest such period that has begun by ``anchor``."""
        return anchor.year if self.span(anchor.year)[0] <= anchor else anchor.year - 1


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    first = dt.date(day.year + year, month + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


def _number(text: str | None) -> int | None:
    return None if text is None else int(text) if text.isdigit() else NUMBERS.get(text.casefold())


def _point(m: re.Match) -> _Point | None:
    """The period a match of ``POINT`` names; None when a word is not in the tables (odd case folding)."""
    years = (m["iso_y"], m["dot_y"], m["dmy_y"], m["md_y"], m["part_y"], m["part_year"], m["season_y"], m["my_y"], m["year"])
    year = next((int(y) for y in years if y), None)
    if m["slash_a"]:
        return _slash_point(int(m["slash_a"]), int(m["slash_b"]), m["slash_y"])
    word = next((w for w in (m["dmy_m"], m["md_m"], m["part_m"]) if w), None)
    number = m["iso_m"] or m["dot_m"]
    month = int(number) if number else _MONTH_OF.get(word.casefold().rstrip(".")) if word else None
    if day := _day_number(m):
        return _Point(month, day, year=year) if month else None
    if m["part"]:
        text = m["part"].casefold()
        if re.search(r"\bday\s+of$", text):  # one day: "the last day of October" (span() ends it with the month), "of 2022"
            if m["part_year"]:
                month = 1 if "first" in text else 12
            return _Point(month, 1 if "first" in text else 31, year=year) if month else None
        part = 1 if "mid" in text or "серед" in text else 2 if any(s in text for s in ("late", "end", "last", "final", "кінц", "конц")) else 0
        if m["part_year"]:  # "early 2023", "the end of 2022": a season's three months of it
            return _Point((1, 5, 10)[part], season=True, year=year)
        return _Point(month, part=part, year=year) if month else None
    if m["season"]:
        form = m["season"].casefold()
        alone = year is None and not m["season_rel"] and form not in SEASON_ADVERBS
        return _Point(_SEASON_OF[form], season=True, year=year, bare=alone) if form in _SEASON_OF else None
    if m["md_m"]:
        return _Point(month, year=year, bare=year is None) if month else None
    return _Point(None, year=year, bare=True)


def _slash_point(a: int, b: int, year: str | None) -> _Point | None:
    """The day "1/26" or "26/1" names (with its year: "4/23/2022", "23/04/22"): the day is the number past 12, the
    month the other.  None when neither is past 12 ("3/4", "9/11": only the writer's habit tells which is the
    month) or both are."""
    readings = [(month, day) for month, day in ((a, b), (b, a)) if month <= 12 < day]
    if len(readings) != 1:
        return None
    month, day = readings[0]
    return _Point(month, day, year=(2000 + int(year) if len(year) == 2 else int(year)) if year else None)


def _day_number(m: re.Match) -> int | None:
    """The day of the month a match of ``POINT`` names, if it names one."""
    text = m["iso_d"] or m["dot_d"] or m["dmy_d"] or m["md_d"]
    return int(re.sub(r"\D", "", text)) if text else None  # "8th", "8-го"


def _point_of(text: str) -> _Point | None:
    """The period one end of a range or an open range names."""
    m = _POINT_ALONE.fullmatch(text)
    return _point(m) if m else None


# --- resolvers: one per pattern; each gives (since, until, relative_to) or None -------------------
_Span = tuple[dt.date | None, dt.date | None, str]


@dataclass(frozen=True)
class _Context:
    question: str
    today: dt.date
    anchor: dt.date  # what a missing year is resolved against
    anchored_to: str  # "corpus" or "today"


def _resolve(point: _Point, ctx: _Context) -> tuple[dt.date, dt.date, str]:
    if point.year is not None:
        return (*point.span(point.year), "calendar")
    return (*point.span(point.recent_year(ctx.anchor)), ctx.anchored_to)


def _alone(m: re.Match, ctx: _Context) -> _Span | None:
    point = _point(m)
    prep = " ".join((m["prep"] or "").casefold().split())
    if point is None or (point.bare and not prep and not (point.month is None and _ENDS_HERE.match(ctx.question, m.end()))
                         and not _typed_month(m[0], point)):
        return None
    if point.month is None and prep in _WEAK_PREP and not re.match(r"\s*(?:[?.!,;:)]|$)", ctx.question[m.end():]):
        return None  # "a force of 2000 soldiers"
    if point.month is None and _ATTRIBUTIVE.match(ctx.question, m.end()) and re.search(r"\bthe\s+\S+$", m[0], re.IGNORECASE):
        return None  # "in the 2015 talks": a year naming a thing, whose reports may come from any year
    if point.season and prep == "for":
        return None  # "to take residents in for the winter": what it is for, not when it happened
    if not prep and m["md_m"] in ("may", "march") and (not m["my_y"] or _COUNTED.match(ctx.question, m.end())):
        return None  # "troops may 5 times", "they march 2022 miles": a lowercase verb, not a month ("march 2023" is one)
    if m["season_rel"]:
        this = m["season_rel"].casefold() in {"this", "цього", "цієї", "этим", "этой", "этого"}
        year = point.recent_year(ctx.today)
        while not this and point.span(year)[1] >= ctx.today:
            year -= 1
        since, until = point.span(year)
        return since, min(until, ctx.today) if this else until, "today"
    return _resolve(point, ctx)


def _typed_month(text: str, point: _Point) -> bool:
    """Is ``text`` a lone month typed in lower case, as in a search box ("drone blasts russian airfields december")?  A
    month with a capital and no preposition names an event ("the September counteroffensive"); "may" and "march" are
    verbs too."""
    word = text.strip()
    return (point.month is not None and point.day is None and not point.season and point.part is None
            and word.isalpha() and word.islower() and word not in ("may", "march"))


# What a number after a lowercase "march" or "may" counts, when it is no year: "they march 2022 miles".
_COUNTED = re.compile(r"\s+(?:miles?|km|kilomet\w*|met(?:re|er)s?|times|people|men|troops|soldiers|steps|tonnes|tons)\b",
                      re.IGNORECASE)


# An event named by its date ("after the oct 31 strikes"): "after" it is from that day, as its own reports tell the aftermath.
_EVENT_OF_THE_DAY = re.compile(r"""(?:'s)?\s+(?:[a-z-]+\s+){0,2}
    (?:strikes?|attacks?|shelling|bombing|bombardment|blasts?|explosions?|raids?|barrage|assault)\b""", _FLAGS)


def _open(m: re.Match, ctx: _Context, *, closing: bool = False) -> _Span | None:
    op = " ".join(m["op"].casefold().split())
    point = _point_of(m["a"])
    if point is None or (op == "from" and not m["on"]) or (op == "as of" and not closing):
        return None  # "reports from March 2022" name March itself; so does "as of 30 March" but after "since" (_closed_later)
    since, until, relative_to = _resolve(point, ctx)
    if op in {"after", "після", "после"}:
        if _EVENT_OF_THE_DAY.match(ctx.question, m.end()):
            return since, None, relative_to  # "after the 31 October strikes": the reports of that day tell what followed
        return until + dt.timedelta(days=1), None, relative_to
    if op in {"before", "prior to", "до"}:
        return None, since - dt.timedelta(days=1), relative_to
    if op in {"until", "till", "by", "up to", "as of", "through", "по"}:  # "as of 31 October": the figure reported by then
        return None, until, relative_to
    return since, None, relative_to


def _range(m: re.Match, ctx: _Context) -> _Span | None:
    if m["lead"] is None and m["word"] is not None:
        return None  # "March and May 2022" is two mentions, "between March and May 2022" one period
    first, last = _point_of(m["a"]), _point_of(m["b"])
    if first is None or last is None:
        return None
    return _between(first, last, ctx)


def _between(first: _Point, last: _Point, ctx: _Context) -> _Span | None:
    """From ``first`` to ``last``: a missing year is the other end's, else the latest such period by the anchor."""
    if last.year is not None:
        last_year = last.year
    elif first.year is not None:
        last_year = first.year if last.span(first.year)[1] >= first.span(first.year)[0] else first.year + 1
    else:
        last_year = last.recent_year(ctx.anchor)
    until = last.span(last_year)[1]
    first_year = first.year if first.year is not None else last_year - (first.span(last_year)[0] > until)
    since = first.span(first_year)[0]
    relative_to = "calendar" if first.year is not None or last.year is not None else ctx.anchored_to
    return (since, until, relative_to) if since <= until else None


def _day_range(m: re.Match, ctx: _Context) -> _Span | None:
    month = _MONTH_OF.get((m["m"] or m["m2"]).casefold().rstrip("."))
    if month is None:
        return None
    year = int(m["y"] or m["y2"]) if m["y"] or m["y2"] else None
    first, last = (_Point(month, int(re.sub(r"\D", "", day)), year=year) for day in (m["d1"] or m["e1"], m["d2"] or m["e2"]))
    span = _between(first, last, ctx)
    return span if span is not None and span[0] < span[1] else None  # "20-20 November" is no range


# "this year" in what someone said would happen, or expected, is their year, not the asker's: "By how much did the World
# Bank think Russia's economy would contract this year?", "How badly did the NBU expect the economy to contract this
# year?" ("would", or "did ... expect", in the same clause, before it).
_WOULD = re.compile(r"\b(?:would|did\b[^?;.!]*?\b(?:expect|forecast|predict|project|think|estimate|anticipate))\b[^?;.!]*$",
                    re.IGNORECASE)


def _relative(m: re.Match, ctx: _Context) -> _Span | None:
    today, days, kind = ctx.today, dt.timedelta, m.lastgroup or ""
    if kind == "this_year" and _WOULD.search(ctx.question, 0, m.start()):
        return None  # "how badly did it think the economy would contract this year": the year it thought so
    if kind in ("ago", "unit"):
        unit = (m["ago_unit"] or m["unit"]).casefold()
        step = 1 if unit[0] in "dд" else 7 if unit[0] in "wтн" else 30 if unit[0] in "mм" else 365
        n = _number(m["ago_n"] or m["n"]) if m["ago_n"] or m["n"] else 1
        if not n:
            return None
        if kind == "ago":
            return today - days(n * step), today - days(n * step), "today"
        if m["which"].casefold() != "last" or m["lead"] or m["the"] or m["n"] or step < 30:
            return today - days(n * step), today, "today"  # "the past 7 days", "last week", "in the last month"
        kind = "last_month" if step == 30 else "last_year"  # "last month": the calendar month before this one
    month = today.replace(day=1)
    return {"day_before": (today - days(2), today - days(2)), "yesterday": (today - days(1), today - days(1)),
            "today": (today, today), "last_night": (today - days(1), today),
            "this_week": (today - days(today.weekday()), today), "last_week": (today - days(7), today),
            "this_month": (month, today), "last_month": (_add_months(month, -1), month - days(1)),
            "this_year": (month.replace(month=1), today),
            "last_year": (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))}[kind] + ("today",)


def _war(m: re.Match, ctx: _Context) -> _Span | None:
    if m["since"]:  # "refugees from the war" is no period: only "since" goes without "the start of"
        return (INVASION, None, "calendar") if m["start"] or m["since"].casefold() == "since" else None
    if m["before"]:
        if _PRE_WAR_STATE.search(ctx.question[: m.start()]):
            return None  # "the 45,000 who lived there before the war": a pre-war figure, which reports of the war give
        return None, INVASION - dt.timedelta(days=1), "calendar"
    n, unit = _number(m["n"]), m["unit"].casefold()
    if m["war"] is None and (m["its"] or _OWN_EVENT.search(ctx.question, max(0, m.start() - _OWN_EVENT_REACH), m.start())):
        return None  # "the counteroffensive ... in the first 4 days", "in its first week": that event's days
    if m["war"] is None and n is None and not _ENDS_HERE.match(ctx.question, m.end()):
        return None  # "the first week of March", "the first day after the referendum"; a question that ends
        # "in the first week?" asks about the war's, as it does on a server about the war
    if unit.startswith("weekend"):  # the war began on a Thursday: its first weekend is 26-27 February 2022
        saturday = INVASION + dt.timedelta(days=(5 - INVASION.weekday()) % 7 + 7 * ((n or 1) - 1))
        return (INVASION if n and n > 1 else saturday), saturday + dt.timedelta(days=1), "calendar"
    if unit[0] in "dд":
        extra = n - 1 if n else 0 if unit in ("day", "день") else 7
        until = INVASION + dt.timedelta(days=max(extra, 0))
    elif unit[0] in "wтн":
        until = INVASION + dt.timedelta(days=7 * (n or 1) - 1)
    else:
        until = _add_months(INVASION, (n or 1) * (1 if unit[0] in "mм" else 12))
    return INVASION, until, "calendar"


def _into_war(m: re.Match, ctx: _Context) -> _Span | None:
    n, unit, days = _number(m["n"]) or 3, m["unit"].casefold(), dt.timedelta  # "a few", "several": about three
    if unit.startswith("day"):
        return INVASION, INVASION + days(n + 4), "calendar"  # "a few days into the war": its first week
    if unit.startswith("week"):
        point = INVASION + days(7 * n)
        return max(INVASION, point - days(7)), point + days(7), "calendar"
    point = _add_months(INVASION, n if unit.startswith("month") else 12 * n)
    margin = days(15) if unit.startswith("month") else days(30)
    return point - margin, point + margin, "calendar"


def _war_day(m: re.Match, ctx: _Context) -> _Span | None:
    if m["side"] or m["eve"]:
        day = INVASION + dt.timedelta(days=1 if m["side"] and m["side"].casefold() == "after" else -1)
    else:
        n = _number(m["n"]) if m["n"] else _DAY_ORDINALS[m["nth"].casefold()]
        if not n:
            return None
        day = INVASION + dt.timedelta(days=n - 1)
    return day, day, "calendar"


def _anniversary(m: re.Match, ctx: _Context) -> _Span | None:
    """The day of the anniversary named, or the latest one by the corpus's end (or today), with the day either side.
    A day of the war's own calendar: a year earlier is no anniversary, so none is tried (``year_earlier``)."""
    nth = m["nth"] or m["its_nth"]
    if nth:
        year = INVASION.year + _NTH[nth.casefold()]
    else:
        year = ctx.anchor.year if ctx.anchor >= INVASION.replace(year=ctx.anchor.year) else ctx.anchor.year - 1
        if year <= INVASION.year:
            return None
    day = INVASION.replace(year=year)
    return day - dt.timedelta(days=1), day + dt.timedelta(days=1), "calendar"


def _holiday_of(name: str) -> tuple[int, int] | str:
    """The (month, day) of the holiday ``name`` as matched ("New Year’s  Day"), or "easter" / "orthodox easter"."""
    return _HOLIDAYS[" ".join(name.casefold().replace("’", "'").replace("ʼ", "'").split())]


def _holiday_days(name: str, year: int) -> tuple[dt.date, dt.date]:
    """The first and last day ``name`` can mean in ``year``: "Easter" asked about a war in Ukraine may be either
    church's (17 and 24 April 2022), so it spans both."""
    day = _holiday_of(name)
    if day == "orthodox easter":
        return (easter(year, EASTER_ORTHODOX),) * 2
    if day == "easter":
        return easter(year, EASTER_WESTERN), easter(year, EASTER_ORTHODOX)
    return (dt.date(year, *day),) * 2


def _holiday(m: re.Match, ctx: _Context) -> _Span | None:
    """The days after, before or around the holiday named, of the year named, else its latest by the corpus's end (or
    today); then, like a month's, the year before (``year_earlier``)."""
    name, rel = m["name"], " ".join(m["rel"].casefold().split())
    if m["year"]:
        first, last = _holiday_days(name, int(m["year"]))
    else:
        first, last = _holiday_days(name, ctx.anchor.year)
        if first > ctx.anchor:
            first, last = _holiday_days(name, ctx.anchor.year - 1)
    margin, basis = dt.timedelta(days=HOLIDAY_MARGIN_DAYS), "calendar" if m["year"] else ctx.anchored_to
    if rel.endswith(("after", "після", "после")):
        return first, last + margin, basis
    if rel.endswith(("until", "by", "до")):  # "by Christmas": how things stood then
        return None, last, basis
    if rel.endswith(("before", "перед")):
        return first - margin, last, basis
    if rel == "for" or _TRUCE_BEFORE.search(ctx.question, 0, m.start()):
        # "a truce for Orthodox Christmas", "a short truce over Orthodox Christmas": offered in the week before it
        return first - margin, last + dt.timedelta(days=1), basis
    return first - dt.timedelta(days=1), last + dt.timedelta(days=1), basis


# A pause in the fighting named just before a holiday it is for ("declaring a short truce over Orthodox Christmas").
_TRUCE_BEFORE = re.compile(r"\b(?:truce|ceasefire|cease-fire)\s+$", re.IGNORECASE)


def is_holiday(words: str) -> bool:
    """Are ``words`` a holiday's name ("Easter", "Halloween", "Independence Day")?  A day of the calendar, not a name a
    report must hold."""
    return " ".join(words.casefold().split()) in _HOLIDAYS


def is_month(word: str) -> bool:
    """Is ``word`` a month's name or abbreviation in any language read here ("April", "apr.", "mid-April", "квітня")?"""
    return _PART_OF.sub("", word.casefold()).rstrip(".") in _MONTH_OF


_PART_OF = re.compile(r"^(?:mid|early|late)-")


def _has_units(words: set[str]) -> bool:
    return any(word.startswith(UNIT_STEMS) for word in words)


def _has_calendar(words: set[str]) -> bool:
    return not words.isdisjoint(_CALENDAR_WORDS) or any(len(word) == 4 and word.isdigit() or "/" in word for word in words)


# Each kind: its pattern, its resolver, and a test that the question holds a word it needs (a regex scan
# costs far more than a look at the question's set of words, and most questions name no time at all).
_KINDS: tuple[tuple[re.Pattern, Callable[[re.Match, _Context], _Span | None], Callable[[set[str]], bool]], ...] = (
    (_INTO_WAR, _into_war, lambda words: "into" in words and not words.isdisjoint(_WAR_WORDS)),
    (_WAR_DAY, _war_day, lambda words: not words.isdisjoint({"day", "eve"}) and not words.isdisjoint(_WAR_WORDS)),
    (_ANNIVERSARY, _anniversary, lambda words: "anniversary" in words and not words.isdisjoint(_WAR_WORDS)),
    (_HOLIDAY, _holiday, lambda words: not words.isdisjoint(_HOLIDAY_WORDS)),
    (_WAR, _war, lambda words: not words.isdisjoint(_WAR_WORDS) or _has_units(words)),
    (_RELATIVE, _relative, lambda words: not words.isdisjoint(_RELATIVE_WORDS) or _has_units(words)),
    (_DAY_RANGE, _day_range, _has_calendar), (_RANGE, _range, _has_calendar), (_OPEN, _open, _has_calendar), (_POINT, _alone, _has_calendar))


def parse_window(question: str, *, today: dt.date, corpus_end: dt.date | None = None) -> Window | None:
    """The first time window the question names, or None (for "latest", "now", "recently" too).  A time counted from
    today gives way to a calendar date the question also names: "this year" of "the World Bank's forecast for this
    year, of 10 April 2022" is 2022."""
    ctx = _Context(question, today, corpus_end or today, "corpus" if corpus_end else "today")
    found: list[tuple[int, int, Window]] = []
    words = set(_TOKEN.findall(question.casefold()))
    for pattern, resolve, needed in _KINDS:
        for m in pattern.finditer(question) if needed(words) else ():
            try:
                span = resolve(m, ctx)
            except (ValueError, OverflowError):  # a period beyond year 1 or 9999
                span = None
            if span is not None:
                found.append((m.start(), -len(m[0]), Window(span[0], span[1], m[0].strip(), span[2])))
                break
    if not found:
        return None
    best = min(found, key=lambda c: c[:2])
    fixed = [c for c in found if c[2].relative_to == "calendar"]
    if best[2].relative_to == "today" and fixed:
        best = min(fixed, key=lambda c: c[:2])
    start, minus_length, window = best
    return _closed_later(window, start, start - minus_length, ctx)


def _closed_later(window: Window, start: int, end: int, ctx: _Context) -> Window:
    """``window`` (named by the question's characters ``start`` to ``end``), open at its end, closed by a time the
    question gives after it: "since July as of 31 October"."""
    if window.since is None or window.until is not None:
        return window
    for m in _OPEN.finditer(ctx.question, end):
        span = _open(m, ctx, closing=True)
        if span is not None and span[0] is None and span[1] >= window.since:
            return Window(window.since, span[1], ctx.question[start:m.end()].strip(), window.relative_to)
    return window


def stated_date(sentence: str, published: dt.date | None, asked: Callable[[str], int] | None = None) -> dt.date | None:
    """The day a news sentence gives for its event ("on Friday", "8 квітня"), or None when it names none.
    A date written out wins over a weekday or "yesterday", which need the publication date, unless it lies
    more than a week before publication on another weekday: then it dates the background, the weekday the news
    ("ordered Russia on Wednesday to suspend the operations it began on 24 February").

    With ``asked`` (how many of the question's words a piece of the sentence holds), a background event the
    sentence dates from its own day, or from the war's first, is the day given when the question's words are
    in its clause rather than the rest: "said on Sunday, a day after Russia's defence ministry announced that its
    troops had withdrawn" gives Saturday for "When did the Russians pull out of Lyman?"; "after they seized the
    site on the first day of the invasion", 24 February 2022.  A sentence whose only day is the war's first gives it."""
    try:
        day = _news_day(sentence, published)
        if day is None:
            return INVASION if _FIRST_DAY.search(sentence) else None
        if asked is None:
            return day
        if first := _FIRST_DAY.search(sentence):
            start = sentence.rfind(",", 0, first.start()) + 1
            if asked(sentence[start : first.start()]) > asked(sentence[:start] + sentence[first.end() :]):
                return INVASION
        if (later := _DAYS_AFTER.search(sentence)) and asked(later["clause"]) > asked(sentence[: later.start()]):
            return day - dt.timedelta(days=_number(later["n"]) or 1)
        return day
    except (ValueError, OverflowError):  # a day before year 1
        return None


def _news_day(sentence: str, published: dt.date | None) -> dt.date | None:
    """The day of a sentence's news: a date written out (or a holiday's, "on New Year's Day"), else a weekday or
    "yesterday" (see ``stated_date``)."""
    written = _written_day(sentence, published) or _holiday_day(sentence, published)
    if published is None:
        return written
    spoken = _spoken_day(sentence, published) if written is None or (published - written).days > NEWS_DAYS else None
    if written is None or spoken is not None and spoken.weekday() != written.weekday():
        return spoken
    return written


def _holiday_day(sentence: str, published: dt.date | None) -> dt.date | None:
    """The day of a holiday on a fixed day the sentence's news is on ("struck ... shortly after midnight on New Year's
    Day", in a report of 2 January 2023: 1 January 2023), its latest on or before ``published``; none for Easter, whose
    church a report rarely says, nor for a holiday that names an event ("the Victory Day parade")."""
    if published is None:
        return None
    for m in _HOLIDAY.finditer(sentence):
        day = _holiday_of(m["name"])
        if m["rel"].split()[-1].casefold() not in ("on", "на") or not isinstance(day, tuple):
            continue  # "before Christmas" is no day of its own
        year = int(m["year"]) if m["year"] else published.year
        found = dt.date(year, *day)
        return found if m["year"] or found <= published else found.replace(year=year - 1)
    return None


# "..., a day after Russia's defence ministry announced ...": an event of the days before the sentence's own day.
_DAYS_AFTER = re.compile(r"\b(?P<n>a|one|two|three|four|five|six|\d)\s+days?\s+after\s+(?P<clause>[^;]+)", re.IGNORECASE)
# "seized on the first day of the invasion": 24 February 2022.
_FIRST_DAY = re.compile(rf"\bon\s+the\s+(?:very\s+)?first\s+day\s+of\s+{WAR}", _FLAGS)


NEWS_DAYS = 7  # a report's news is of the week before it; a date written further back may be background


def _written_day(sentence: str, published: dt.date | None) -> dt.date | None:
    for m, point, before in _written_points(sentence):
        if before & _NOT_A_DAY_OF_ITS_OWN or _RANGE_AFTER.match(sentence, m.end()):
            continue  # one end of a range
        if (day := _day_of(point, sentence, published)) is not None:
            return day
    return None


# The words before a day that make it where a span starts, or where it ends.
_SPAN_START = frozenset({"since", "from", "starting", "з", "із", "від", "с", "со", "от"})
_SPAN_END = frozenset({"until", "till", "by", "through", "до", "по"})


def bound_day(sentence: str, published: dt.date | None, *, start: bool = True) -> dt.date | None:
    """The day a span the sentence gives starts on ("strikes since 10 October had damaged ..."), or with ``start``
    false ends on ("to be completed by 1 July"): what "Since when ...?" and "By when ...?" ask; None when it gives none."""
    words = _SPAN_START if start else _SPAN_END
    for _, point, before in _written_points(sentence):
        if before & words and (day := _day_of(point, sentence, published)) is not None:
            return day
    return None


def _written_points(sentence: str) -> Iterator[tuple[re.Match, _Point, set[str]]]:
    """The days written out in ``sentence`` (not a month or a year alone), each with its match and the words before it."""
    for m in _POINT.finditer(sentence) if _has_calendar(set(_TOKEN.findall(sentence.casefold()))) else ():
        point = _point(m) if _day_number(m) else None
        if point is not None:
            yield m, point, {word.casefold().strip(",") for word in sentence[: m.start()].split()[-1:] + (m["prep"] or "").split()}


def _day_of(point: _Point, sentence: str, published: dt.date | None) -> dt.date | None:
    """The day a point written in ``sentence`` is: of its own year, else of the year ``published`` makes likeliest."""
    if point.year is not None:
        return point.span(point.year)[0]
    if published is None:
        return None
    past = point.span(point.recent_year(published))[0]
    ahead = point.span(past.year + 1)[0]
    # A day to come when the sentence says so and it is the nearer: "the cap, which takes effect on 5 December"
    # in a report of 3 December 2022 is 5 December 2022, not 2021; "was hit on 10 April" on 9 April is 2021.
    return ahead if (ahead - published).days < (published - past).days and UPCOMING.search(sentence) else past


# Words that say a change is to come ("will cut gas flows ... from Wednesday"): a weekday after "from" is then the
# day to come.  With a few more ("from 5 December", "expected", "comes into force"), a day written without its year.
_WILL_WORDS = r"will|would|is\s+to|are\s+to|due\s+to|scheduled|planned|takes?\s+effect"
_WILL = re.compile(rf"\b(?:{_WILL_WORDS})\b", re.IGNORECASE)
UPCOMING = re.compile(rf"\b(?:{_WILL_WORDS}|to\s+take\s+effect|comes?\s+into\s+force|from|starting|due|expected"
                      r"|набуде|набирає|вступит|вступает)\b", re.IGNORECASE)
_FROM_A_DAY = re.compile(r"\b(?:from|starting|beginning)\s+$", re.IGNORECASE)


def _spoken_day(sentence: str, published: dt.date) -> dt.date | None:
    found = [(m.start(), published - dt.timedelta(days=1)) for m in _YESTERDAY.finditer(sentence)][:1]
    for m in _WEEKDAY.finditer(sentence):
        mod, day = (m["mod"] or "").casefold(), m["day"].casefold().replace("’", "'").replace("ʼ", "'")
        last = mod.startswith(("last", "past", "минул", "прошл"))
        if day not in _WEEKDAY_OF or (not mod and not day.isascii()) or (mod and not last and mod not in _BARE):
            continue  # "next Friday", "every Sunday"; a Cyrillic weekday needs "в"/"у" ("среда" is also "environment")
        if not mod and _FROM_A_DAY.search(sentence, 0, m.start()) and _WILL.search(sentence):  # "would cut ... from Wednesday"
            ahead = (_WEEKDAY_OF[day] - published.weekday()) % 7 or 7
            found.append((m.start(), published + dt.timedelta(days=ahead)))
            break
        back = (published.weekday() - _WEEKDAY_OF[day]) % 7 or (7 if last else 0)
        found.append((m.start(), published - dt.timedelta(days=back)))
        break
    return min(found)[1] if found else None


def format_day(day: dt.date, lang: str = "en") -> str:
    """"8 Apr 2022", "8 квіт. 2022", "8 апр. 2022"."""
    return f"{day.day} {PRINTED.get(lang, PRINTED['en'])[day.month - 1]} {day.year}"


def format_window(window: Window, lang: str = "en") -> str:
    """The period as a reader would write it: "1–31 Mar 2022", "24 Feb–3 Mar 2022", "since 1 Aug 2022"."""
    lang = lang if lang in PRINTED else "en"
    since, until = window.since, window.until
    if since is not None and until is not None:
        if since == until:
            return format_day(since, lang)
        if (since.year, since.month) == (until.year, until.month):
            return f"{since.day}–{format_day(until, lang)}"
        if since.year == until.year:
            return f"{since.day} {PRINTED[lang][since.month - 1]}–{format_day(until, lang)}"
        return f"{format_day(since, lang)}–{format_day(until, lang)}"
    if since is not None:
        return f"{OPEN_WORDS[lang][0]} {format_day(since, lang)}"
    if until is not None:
        return f"{OPEN_WORDS[lang][1]} {format_day(until, lang)}"
    return ANY_TIME[lang]


YEAR_REPORTED_DAYS = 120  # a year's figures (output, trade, casualties) come out in the months after it
MONTH_REPORTED_DAYS = 45  # a month's (inflation, refugees, exports) in the weeks after it
# The search term a report states a month by ("Inflation reached 16.4 percent in April"); none for May, a word of
# every other report ("may").
_MONTH_TERMS = ("januari", "februari", "march", "april", None, "june", "juli", "august", "septemb", "octob", "novemb", "decemb")
# The search term a report names a day of the week before it by ("Austin said on Wednesday").
_WEEKDAY_TERMS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def reported_after(window: Window, today: dt.date | None = None) -> tuple[dt.date, str] | None:
    """For a whole calendar year ("in 2022") or month ("april 2022"), the last day a later report of it may come, and
    the search term it states the year or month by: "Ukraine's economy shrank by about 30 percent in 2022", in a
    report of March 2023.  For one day, a report of the week after it that names its weekday ("Austin said on
    Wednesday", in a report of Saturday 23 July for "on 20 July"), but none published after ``today`` ("yesterday").
    None for any other window."""
    since, until = window.since, window.until
    if since is not None and since == until:
        return _not_after(until + dt.timedelta(days=NEWS_DAYS - 1), until, today), _WEEKDAY_TERMS[since.weekday()]
    if since is None or until is None or since.year != until.year or since.day != 1:
        return None
    if (since.month, until.month, until.day) == (1, 12, 31):
        return until + dt.timedelta(days=YEAR_REPORTED_DAYS), str(since.year)
    if since.month == until.month and until == _month_end(since) and (term := _MONTH_TERMS[since.month - 1]):
        return until + dt.timedelta(days=MONTH_REPORTED_DAYS), term
    return None


DAY_STATED_DAYS = 30  # a day's news retold by its date in the weeks after it ("were relieved on 20 March", on 31 March)


def stated_on(window: Window, today: dt.date | None = None) -> tuple[dt.date, tuple[str, str]] | None:
    """For one day, the last day a later report may come that states it by its date ("20 Ukrainian soldiers were freed
    on 13 October", in a report of 18 October), and the search terms it states it by: the day's number and its month's.
    None published after ``today``, and None for any other window or for a day of May ("may" is a word of every report)."""
    since, until = window.since, window.until
    if since is None or since != until or (month := _MONTH_TERMS[since.month - 1]) is None:
        return None
    return _not_after(until + dt.timedelta(days=DAY_STATED_DAYS), until, today), (str(since.day), month)


def _not_after(last: dt.date, until: dt.date, today: dt.date | None) -> dt.date:
    """``last``, but no later than ``today`` when the day asked (``until``) is not after it: nothing is yet published
    after the day a question is asked ("yesterday")."""
    return min(last, today) if today is not None and today >= until else last


def strip_window(question: str, window: Window) -> str:
    """The question without its time phrase: "What happened in Kherson in March 2022?" -> "What happened in Kherson?"."""
    words = window.phrase.split()
    text = " ".join(question.split())
    if words:
        phrase = re.compile(r"\s+".join(map(re.escape, words)), re.IGNORECASE)
        while (shorter := _tidy(phrase.sub(" ", text))) != text:
            text = shorter
    if question[:1].isupper() and _ASKING.match(text) and len(text[:1].upper()) == 1:
        text = text[0].upper() + text[1:]  # the phrase opened the question; a noun it left first stays lowercase, no name
    return text


# The words a question goes on with after a time phrase that opened it ("In March 2022, what happened ...").
_ASKING = re.compile(r"""(?:what|how|when|where|who|whom|whose|which|why|is|are|was|were|do|does|did|has|have|had|can|could
    |will|would|should|i|tell|give|list|show|any)\b""", re.VERBOSE)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([?!.,;:])", r"\1", " ".join(text.split()))
    text = re.sub(r"[,;:]+(?=[?!.,;:]|$)", "", text)
    return text.lstrip(",;: ")


def year_earlier(window: Window) -> Window:
    """The same period one year before: "in late March" read as the March before the latest one, "after Easter"
    as the Easter before (a holiday is read again: Easter moves)."""
    holiday = _HOLIDAY.fullmatch(window.phrase)
    if holiday is not None:
        # Its latest occurrence 40 days before this window (more than the weeks between the two Easters) is the year before's.
        anchor = (window.since or window.until) - dt.timedelta(days=40)
        ctx = _Context(window.phrase, anchor, anchor, window.relative_to)
        span = _holiday(holiday, ctx)
        if span is not None:
            return Window(span[0], span[1], window.phrase, window.relative_to)

    def back(day: dt.date | None) -> dt.date | None:
        if day is None:
            return None
        return day.replace(year=day.year - 1, day=min(day.day, _month_end(day.replace(year=day.year - 1, day=1)).day))

    return Window(back(window.since), back(window.until), window.phrase, window.relative_to)


def weekday_window(question: str, today: dt.date, corpus_end: dt.date | None = None) -> Window | None:
    """A day a question names by its weekday ("the Kyiv strike last Sunday", "on Friday"): the latest such
    day up to ``today``, or None; else the weekend it names ("over the weekend", "this past weekend").
    ``parse_window`` leaves weekdays alone: they need the day of asking.
    A bare "on Saturday" more than a week after ``corpus_end`` is the weekday of a story the corpus tells ("the
    revised Kramatorsk station toll given on Saturday"), no day of this week: None."""
    m = next((m for m in _WEEKDAY.finditer(question) if m["mod"]), None)  # "the Sunday Times" names no day
    if m is None:
        return _weekend(question, today, corpus_end)
    try:
        day = _spoken_day(m[0], today)
    except (ValueError, OverflowError):
        return None
    if day and m["mod"].casefold() in _BARE and _long_after(day, corpus_end):
        return None
    return Window(day, day, m[0], "today") if day else None


def _long_after(day: dt.date, corpus_end: dt.date | None) -> bool:
    """Is ``day`` more than a week after the corpus's last: for a bare weekday or weekend, the story's own, not this week's?"""
    return corpus_end is not None and (day - corpus_end).days > NEWS_DAYS


_WEEKEND = re.compile(r"\b(?:(?P<mod>last|this(?:\s+past)?|past)\s+weekend|(?:over|on|at|during)\s+the\s+weekend)\b",
                      re.IGNORECASE)
_SATURDAY = 5


def _weekend(question: str, today: dt.date, corpus_end: dt.date | None) -> Window | None:
    """The weekend a question names, up to ``today``: the latest that has begun, or for "last weekend" asked on one,
    the one before ("Putin turned up in Mariupol this past weekend", asked on a Monday: that Saturday and Sunday).  As a
    bare weekday, a bare "over the weekend" long after ``corpus_end`` is the story's ("the curfew Klitschko extended over
    the weekend"): None."""
    m = _WEEKEND.search(question)
    if m is None:
        return None
    try:
        saturday = today - dt.timedelta(days=(today.weekday() - _SATURDAY) % 7)
        if (m["mod"] or "").casefold() == "last" and today.weekday() >= _SATURDAY:
            saturday -= dt.timedelta(days=7)
    except OverflowError:  # before year 1
        return None
    if not m["mod"] and _long_after(saturday, corpus_end):
        return None
    return Window(saturday, min(saturday + dt.timedelta(days=1), today), m[0], "today")


# What lies between two times offered as alternatives ("over the weekend or earlier this week"): "or", with at most
# three words either side of it.
_ALTERNATIVES = re.compile(r"\W*(?:\w+\W+){0,3}?or\b\W*(?:\w+\W+){0,3}", re.IGNORECASE)


def asked_window(question: str, today: dt.date, corpus_end: dt.date | None = None) -> Window | None:
    """The dates a question asks about: the time it names (``parse_window``), else the weekday or weekend it names
    (``weekday_window``); both together when it offers them as alternatives ("was that over the weekend or earlier this
    week?": from that Saturday to today)."""
    named = parse_window(question, today=today, corpus_end=corpus_end)
    spoken = weekday_window(question, today, corpus_end)
    if named is None or spoken is None:
        return named or spoken
    (a, first), (b, second) = sorted(((question.find(w.phrase), w) for w in (named, spoken)), key=lambda placed: placed[0])
    if a < 0 or b < a + len(first.phrase) or not _ALTERNATIVES.fullmatch(question[a + len(first.phrase) : b]):
        return named
    since = min((w.since for w in (first, second) if w.since is not None), default=None)
    until = None if first.until is None or second.until is None else max(first.until, second.until)
    return Window(since, until, question[a : b + len(second.phrase)], "today")

