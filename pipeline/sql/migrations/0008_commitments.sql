-- Migration 8: the promises ledger. Each commitment an agent makes in a call, extracted by the
-- scoring pass from the stored transcript (pipeline/promises.py); calls.promises_hash says which
-- version of checklists/ledger/promises.yaml read the call, so an edit of it is applied by the next pass.
CREATE TABLE IF NOT EXISTS commitments (
    call_id        VARCHAR NOT NULL,
    idx            INTEGER NOT NULL,
    manager_id     VARCHAR,
    customer_phone VARCHAR,
    kind           VARCHAR NOT NULL CHECK (kind IN ('callback', 'send', 'delivery', 'price_hold', 'visit')),
    quote          VARCHAR NOT NULL,
    start_s        DOUBLE NOT NULL,
    end_s          DOUBLE NOT NULL,
    due_at         TIMESTAMP,
    due_text       VARCHAR NOT NULL DEFAULT '',
    vague          BOOLEAN NOT NULL,
    absolute       BOOLEAN NOT NULL,
    rules_hash     VARCHAR NOT NULL,
    extracted_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (call_id, idx)
);
ALTER TABLE calls ADD COLUMN IF NOT EXISTS promises_hash VARCHAR;
