-- Migration 7: QA leads overrule verdicts. Reviews are only ever added: the newest per call,
-- checklist and item is the effective verdict, the older ones are its history.
ALTER TABLE item_results ADD COLUMN IF NOT EXISTS critical BOOLEAN;
CREATE TABLE IF NOT EXISTS reviews (
    review_id       VARCHAR PRIMARY KEY,
    call_id         VARCHAR NOT NULL,
    checklist_id    VARCHAR NOT NULL,
    item_id         VARCHAR NOT NULL,
    verdict         VARCHAR NOT NULL CHECK (verdict IN ('pass', 'fail', 'na')),
    machine_verdict VARCHAR CHECK (machine_verdict IN ('pass', 'fail', 'na')),
    reviewer        VARCHAR NOT NULL CHECK (trim(reviewer) <> ''),
    note            VARCHAR NOT NULL DEFAULT '',
    reviewed_at     TIMESTAMP NOT NULL
);
