-- Migration 1: the tables as released before numbered migrations. Written with IF NOT EXISTS,
-- so it also brings any database from before it up to this point (pipeline/migrate.py).
-- Times: calls.started_at is the PBX's local wall-clock time; every other timestamp is UTC.
-- Relations are documented, not enforced: DuckDB foreign keys forbid the delete-and-rewrite
-- that a retried call needs, and calls may name managers that managers.csv does not list.

CREATE TABLE IF NOT EXISTS managers (
    manager_id VARCHAR PRIMARY KEY,
    name       VARCHAR NOT NULL,
    team       VARCHAR NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS runs (
    run_id            VARCHAR PRIMARY KEY,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    inbox             VARCHAR,
    engine            VARCHAR,
    model             VARCHAR,
    checklist_id      VARCHAR,
    checklist_version VARCHAR,
    found             INTEGER,
    skipped           INTEGER,
    ok                INTEGER,
    failed            INTEGER,
    audio_seconds     DOUBLE,
    report_path       VARCHAR,
    error             VARCHAR,
    warnings          VARCHAR[]
);
-- Databases made before run warnings existed get the column too.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS warnings VARCHAR[];

CREATE TABLE IF NOT EXISTS calls (
    call_id        VARCHAR PRIMARY KEY,
    sha256         VARCHAR NOT NULL UNIQUE,
    path           VARCHAR NOT NULL,
    file_name      VARCHAR NOT NULL,
    size_bytes     BIGINT,
    manager_id     VARCHAR,
    started_at     TIMESTAMP,
    direction      VARCHAR,
    customer_phone VARCHAR,
    status         VARCHAR NOT NULL CHECK (status IN ('ok', 'failed')),
    error          VARCHAR,
    warnings       VARCHAR[] NOT NULL DEFAULT [],
    duration_s     DOUBLE,
    channels       INTEGER,
    language       VARCHAR,
    engine         VARCHAR,
    model          VARCHAR,
    transcribe_s   DOUBLE,
    run_id         VARCHAR,
    processed_at   TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS segments (
    call_id     VARCHAR NOT NULL,
    idx         INTEGER NOT NULL,
    speaker     VARCHAR NOT NULL CHECK (speaker IN ('agent', 'customer', 'unknown')),
    start_s     DOUBLE NOT NULL,
    end_s       DOUBLE NOT NULL,
    text        VARCHAR NOT NULL,
    avg_logprob DOUBLE,
    PRIMARY KEY (call_id, idx)
);

CREATE TABLE IF NOT EXISTS item_results (
    call_id           VARCHAR NOT NULL,
    checklist_id      VARCHAR NOT NULL,
    checklist_version VARCHAR NOT NULL,
    checklist_hash    VARCHAR NOT NULL,
    item_id           VARCHAR NOT NULL,
    position          INTEGER NOT NULL,
    verdict           VARCHAR NOT NULL CHECK (verdict IN ('pass', 'fail', 'na')),
    weight            DOUBLE NOT NULL,
    reason            VARCHAR NOT NULL DEFAULT '',
    evidence          STRUCT(speaker VARCHAR, start_s DOUBLE, end_s DOUBLE, text VARCHAR)[] NOT NULL DEFAULT [],
    scored_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (call_id, checklist_hash, item_id)
);

CREATE TABLE IF NOT EXISTS checklist_items (
    checklist_hash    VARCHAR NOT NULL,
    checklist_id      VARCHAR NOT NULL,
    checklist_version VARCHAR NOT NULL,
    item_id           VARCHAR NOT NULL,
    position          INTEGER NOT NULL,
    title             VARCHAR NOT NULL,
    guidance          VARCHAR NOT NULL DEFAULT '',
    weight            DOUBLE NOT NULL,
    critical          BOOLEAN NOT NULL,
    registered_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (checklist_hash, item_id)
);

CREATE TABLE IF NOT EXISTS call_scores (
    call_id           VARCHAR NOT NULL,
    checklist_id      VARCHAR NOT NULL,
    checklist_version VARCHAR NOT NULL,
    checklist_hash    VARCHAR NOT NULL,
    score             DOUBLE CHECK (score BETWEEN 0 AND 100),
    critical_failure  BOOLEAN NOT NULL,
    n_pass            INTEGER NOT NULL,
    n_fail            INTEGER NOT NULL,
    n_na              INTEGER NOT NULL,
    scored_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (call_id, checklist_hash)
);
