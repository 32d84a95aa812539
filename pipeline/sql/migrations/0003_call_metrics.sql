-- Migration 3: conversation metrics per call (pipeline/metrics.py), written with its transcript.
CREATE TABLE IF NOT EXISTS call_metrics (
    call_id                   VARCHAR PRIMARY KEY,
    duration_s                DOUBLE NOT NULL,
    talk_s                    DOUBLE NOT NULL,
    silence_share             DOUBLE NOT NULL,
    longest_silence_s         DOUBLE NOT NULL,
    agent_talk_s              DOUBLE,
    customer_talk_s           DOUBLE,
    talk_listen_ratio         DOUBLE,
    agent_longest_monologue_s DOUBLE,
    agent_interruptions       INTEGER,
    customer_interruptions    INTEGER,
    agent_wpm                 DOUBLE,
    customer_wpm              DOUBLE
);
