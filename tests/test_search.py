"""Full-text search over the transcripts, as a manager writes it in SQL: word forms found by
their stem in Russian and English, every word of an alternative required, OR between them,
BM25 ranking, and an index that follows each stored call."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.store import Store
from test_migrations import old_db  # noqa: F401 - the fixture
from test_store import ev, fill, ok_result


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "qa.duckdb") as s:
        fill(s)
        yield s


def found(store: Store, q: str) -> list[tuple]:
    return [(r["call_id"], r["idx"]) for r in store.query("SELECT call_id, idx FROM search($q)", {"q": q})]


@pytest.mark.parametrize("word, stem", [
    ("дорого", "дорог"), ("дорогой", "дорог"), ("дорогие", "дорог"), ("Дорогая", "дорог"),
    ("скидка", "скидк"), ("скидкой", "скидк"), ("перезвоню", "перезвон"), ("перезвонить", "перезвон"),
    ("ёлка", "елк"), ("expensive", "expens"), ("expenses", "expens"), ("sending", "send"), ("sends", "send"),
    ("called", "call"), ("deliveries", "deliver"), ("delivery", "deliver"), ("too", "too"), ("11", "11"),
])
def test_word_forms_share_a_stem(store: Store, word: str, stem: str):
    assert store.query("SELECT fts_stem(unnest(fts_words($w))) AS s", {"w": word}) == [{"s": stem}]


def test_a_query_finds_other_forms_of_its_words(store: Store):
    assert found(store, "дорогие") == [("c2", 2)]  # «Это дорого для нас.»
    assert found(store, "СКИДКИ") == [("c2", 1)]  # «…о новой скидке на аккумуляторы.»
    assert found(store, "sending details") == [("c1", 3)]  # "…send me the details."
    assert found(store, "no such words") == []


def test_every_word_of_an_alternative_is_required_and_or_joins_them(store: Store):
    assert found(store, "send offer") == [("c1", 4)]  # the details segment has no "offer"
    assert sorted(found(store, "send offer OR дорого")) == [("c1", 4), ("c2", 2)]
    assert sorted(found(store, "дорого или send details")) == [("c1", 3), ("c2", 2)]


def test_ranked_best_first_and_usable_in_a_where_clause(store: Store):
    # "thank" in a short segment ranks above "thank" in a long one.
    rows = store.query("SELECT call_id, idx, rank FROM search('thank')")
    assert [(r["call_id"], r["idx"]) for r in rows] == [("c3", 4), ("c1", 4)]
    assert rows[0]["rank"] > rows[1]["rank"] > 0
    said = store.query("SELECT call_id, speaker, text FROM segments WHERE speaker = 'customer' AND "
                       "(call_id, idx) IN (SELECT call_id, idx FROM search('дорого OR not interested'))"
                       " ORDER BY call_id")
    assert said == [{"call_id": "c2", "speaker": "customer", "text": "Это дорого для нас."},
                    {"call_id": "c4", "speaker": "customer", "text": "No, not interested."}]


def test_the_index_follows_a_rewritten_call(store: Store):
    changed = [("agent", 0.0, 3.0, "Здравствуйте, компания «Солнце»."), ("customer", 3.2, 5.0, "Слишком дорого.")]
    store.write_call(ok_result("c1", "m101", "2026-11-20T10:15:00", changed,
                               {"introduced": ("pass", "greeting", ev(changed[0]))}), "run-2")
    assert sorted(found(store, "дорого")) == [("c1", 1), ("c2", 2)]
    assert found(store, "sending details") == []
    assert store.query("SELECT count(*) AS n FROM segment_terms WHERE call_id = 'c1'") == [{"n": 5}]  # 3 words and 2


def test_an_older_database_is_indexed_by_its_upgrade(old_db: Path):  # noqa: F811
    with Store(old_db) as store:
        segments = store.query("SELECT count(*) AS n FROM segments")[0]["n"]
        indexed = store.query("SELECT count(DISTINCT (call_id, idx)) AS n FROM segment_terms")[0]["n"]
        assert segments > 0 and indexed == segments
