-- Migration 9: full-text search over the transcripts (the view `search` in views.sql reads it).
-- DuckDB's fts extension cannot be loaded offline, so the index is plain SQL: each segment's
-- words by their stem. The stemmer is here, not in views.sql, because the index is stored with
-- it: a change to it is a new migration that rebuilds segment_terms.

-- The words of a text: letters and digits, lower case, ё read as е.
CREATE OR REPLACE MACRO fts_words(t) AS regexp_extract_all(replace(lower(t), 'ё', 'е'), '[\pL\pN]+');

-- A light stemmer: the longest common ending off a Russian or English word, keeping at least
-- the first vowel and two letters after it («дорогой», «дорогие», «дорого» -> «дорог»;
-- "expensive", "expenses" -> "expens"). Both the index and the query go through it.
CREATE OR REPLACE MACRO fts_stem(w) AS CASE
    WHEN regexp_matches(w, '[а-я]') THEN regexp_replace(regexp_replace(w, 'с[яь]$', ''),
        '^([^аеиоуыэюя]*[аеиоуыэюя][а-я]{2,}?)(иями|ями|ами|иях|ого|его|ому|ему|ыми|ими|ешь|ете|ишь|ите|ают|яют|ует|ала|ила|ыла|ела|ать|ять|ить|еть|ыть|ов|ев|ей|ий|ый|ой|ая|яя|ое|ее|ые|ие|ую|юю|ом|ем|ам|ям|ах|ях|ию|ия|ии|ть|ет|ит|ут|ют|ат|ят|ла|ло|ли|ил|ал|ел|а|я|о|е|ы|и|у|ю|ь|й)$', '\1')
    WHEN regexp_matches(w, '^[a-z]+$') THEN regexp_replace(w,
        '^([a-z]*?[aeiouy][a-z]{2,}?)(ations|ation|ively|ness|ments|ment|ingly|ings|ing|edly|ies|ied|ive|ed|ly|es|s|e|y)$', '\1')
    ELSE w END;

CREATE TABLE IF NOT EXISTS segment_terms (
    call_id VARCHAR NOT NULL,
    idx     INTEGER NOT NULL,
    term    VARCHAR NOT NULL,
    tf      INTEGER NOT NULL
);

INSERT INTO segment_terms
SELECT call_id, idx, term, count(*)::INTEGER
FROM (SELECT call_id, idx, fts_stem(unnest(fts_words(text))) AS term FROM segments)
GROUP BY ALL;
