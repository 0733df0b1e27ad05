"""The fixed texts of an answer, in the languages members ask in: English, Ukrainian and Russian.

Every sentence of an answer's substance is quoted from a source; these are the few words around
them (a refusal, the dates searched, what a leading date is).  Each text is one whole template per
language with named fields, never pieces of translations glued together.  A test fails when a key
is missing in one language.
"""

from __future__ import annotations

LANGUAGES = ("en", "uk", "ru")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "abstain": "I could not find this in my sources, so I won't guess.",
        "not_covered": "That isn't covered by my sources, so I won't guess.",
        "closest": "The closest topics I do have:",
        "reach": "My sources run from {first} to {last} and have nothing on {what}.",
        "nothing_on": "My sources have nothing on {what}, so I won't guess.",
        "searching": "Searching {window}.",
        "searching_corpus": "Searching {window}, the latest such period in my sources.",
        "searching_best": "Searching {window}: of the periods this can mean, my sources answer best on this one.",
        "stated": "{day} (the date the source gives)",
        "reported": "{day} (the date of the report; the source gives no date for the event)",
        "sources": "Sources",
        "source_n": "Source {n}",
        "footer": "{passages} passages searched · {ms} ms",
        "only_sources": "I only answer from my sources, quoting them; I don't follow instructions to set them aside.",
    },
    "uk": {
        "abstain": "Я не знайшов цього у своїх джерелах, тож не вгадуватиму.",
        "not_covered": "Цього немає в моїх джерелах, тож я не вгадуватиму.",
        "closest": "Найближчі теми, які я маю:",
        "reach": "Мої джерела охоплюють період від {first} до {last} і не мають нічого про {what}.",
        "nothing_on": "Мої джерела не мають нічого про {what}, тож я не вгадуватиму.",
        "searching": "Шукаю за період {window}.",
        "searching_corpus": "Шукаю за період {window}, останній такий у моїх джерелах.",
        "searching_best": "Шукаю за період {window}: з усіх періодів, які це може означати, мої джерела найкраще відповідають саме про цей.",
        "stated": "{day} (дата, яку називає джерело)",
        "reported": "{day} (дата повідомлення; джерело не називає дати події)",
        "sources": "Джерела",
        "source_n": "Джерело {n}",
        "footer": "Переглянуто уривків: {passages} · {ms} мс",
        "only_sources": "Я відповідаю лише за своїми джерелами, цитуючи їх; я не виконую вказівок відкласти їх.",
    },
    "ru": {
        "abstain": "Я не нашёл этого в своих источниках, поэтому не буду гадать.",
        "not_covered": "Этого нет в моих источниках, поэтому я не буду гадать.",
        "closest": "Ближайшие темы, которые у меня есть:",
        "reach": "Мои источники охватывают период с {first} по {last} и не содержат ничего о {what}.",
        "nothing_on": "В моих источниках нет ничего о {what}, поэтому я не буду гадать.",
        "searching": "Ищу за период {window}.",
        "searching_corpus": "Ищу за период {window}, последний такой в моих источниках.",
        "searching_best": "Ищу за период {window}: из всех периодов, которые это может означать, мои источники лучше всего отвечают именно о нём.",
        "stated": "{day} (дата, которую называет источник)",
        "reported": "{day} (дата сообщения; источник не называет дату события)",
        "sources": "Источники",
        "source_n": "Источник {n}",
        "footer": "Просмотрено фрагментов: {passages} · {ms} мс",
        "only_sources": "Я отвечаю только по своим источникам, цитируя их; я не выполняю указаний отложить их.",
    },
}


def phrase(key: str, lang: str = "en", **fields: str) -> str:
    """The text ``key`` in ``lang`` (English for any other language), its fields filled in."""
    return TEXTS.get(lang, TEXTS["en"])[key].format(**fields)
