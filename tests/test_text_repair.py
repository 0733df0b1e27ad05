"""Glue repair is for documents that show glue: clean news full of Ukrainian names comes out of
ingestion exactly as it went in, and the seed article's known glues are still repaired."""

from __future__ import annotations

import json
from pathlib import Path

from index import text
from index.config import BUNDLED_CORPUS
from index.ingest import load

NAMES = ["Bucha", "Irpin", "Hostomel", "Kramatorsk", "Zaporizhzhia", "Mykolaiv", "Shmyhal", "Podolyak", "Budanov",
         "Odesa", "Kherson", "Izium", "Kupiansk", "Chernihiv", "Sievierodonetsk", "Lysychansk", "Kremenchuk",
         "Vuhledar", "Bakhmut", "Soledar", "Avdiivka", "Reznikov", "Zaluzhnyi", "Kuleba", "Yermak", "Arestovych"]

CLEAN_NEWS = [
    "Russian troops withdrew from Bucha and Irpin at the end of March, and residents returned to find bodies in the streets.",
    "Prime Minister Denys Shmyhal said the government would rebuild Hostomel airport; adviser Mykhailo Podolyak called for more air defence.",
    "A missile struck the railway station in Kramatorsk on 8 April, where thousands were waiting to be evacuated.",
    "The Zaporizhzhia nuclear plant lost external power again, the IAEA said, as shelling continued near Enerhodar.",
    "Military intelligence chief Kyrylo Budanov said Russia was running low on precision missiles.",
    "Grain ships left Odesa under a deal brokered by Turkey and the United Nations in July.",
    "Governor Vitaliy Kim of Mykolaiv said the city was shelled overnight; see kyivindependent.com for the list of damaged streets.",
    "Ukrainian forces retook Izium and Kupiansk in September, cutting a supply line the army had relied on since spring.",
    "Reznikov said JavaScript-heavy sites were used in a phishing campaign against soldiers, a claim the SBU repeated.",
    "Officials in Kremenchuk counted at least twenty dead after the shopping mall strike on 27 June.",
    "bucha, as residents spell it in lowercase graffiti, became a word for the war's crimes.",
]


def test_clean_news_full_of_names_is_byte_identical_after_ingestion(tmp_path: Path):
    lines = [json.dumps({"id": f"n{i}", "title": f"Report {i}", "text": paragraph}) for i, paragraph in enumerate(CLEAN_NEWS)]
    names = [json.dumps({"id": "names", "title": "Places and people", "text": ". ".join(NAMES) + "."})]
    (tmp_path / "news.jsonl").write_text("\n".join(lines + names) + "\n", encoding="utf-8")
    report = load([tmp_path])
    assert [d.paragraphs for d in report.documents] == [[p] for p in CLEAN_NEWS] + [[". ".join(NAMES) + "."]]


def test_a_capitalised_word_is_never_split():
    for name in NAMES:
        assert text.clean(f"They talked about {name} today.") == f"They talked about {name} today."


def test_clean_text_does_not_count_as_glued():
    assert not text.shows_glue(CLEAN_NEWS)
    assert not text.shows_glue([" ".join(NAMES)])


def test_the_seed_article_still_gets_its_glues_repaired():
    [article] = load([BUNDLED_CORPUS]).documents
    body = "\n".join(article.paragraphs)
    assert "of fabricating a pretext" in body and "offabricating" not in body
    assert text.shows_glue(BUNDLED_CORPUS.joinpath("cnn-2022-02-17-ukraine-russia-live.txt").read_text().splitlines()[3:])
