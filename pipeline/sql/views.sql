-- callqa views, macros and comments: what reports and people read. Re-created on every
-- read-write open after the migrations (pipeline/migrate.py), so each statement here is
-- CREATE OR REPLACE or a COMMENT, and an edit here needs no migration.

-- The customer's number as reports and published copies show it: its last four digits.
CREATE OR REPLACE MACRO masked_phone(phone) AS
    CASE WHEN phone IS NOT NULL THEN '…' || right(phone, 4) END;
-- A file name or path with the customer's number in it (PBX file names often hold it), masked.
CREATE OR REPLACE MACRO mask_phone_in(text, phone) AS
    CASE WHEN phone IS NOT NULL AND length(phone) > 4 THEN replace(text, phone, masked_phone(phone)) ELSE text END;

-- Percent with one decimal; NULL when nothing was applicable (never a division by zero).
CREATE OR REPLACE MACRO pass_rate(passes, applicable) AS round(100.0 * passes / nullif(applicable, 0), 1);

-- The newest review of each verdict a QA lead overruled or confirmed (reviews keeps them all).
CREATE OR REPLACE VIEW current_reviews AS
SELECT * FROM reviews
QUALIFY row_number() OVER (PARTITION BY call_id, checklist_id, item_id ORDER BY reviewed_at DESC, review_id DESC) = 1;

-- Each verdict of the latest checklist version per call: the machine's and the effective one,
-- a QA lead's over the machine's. A review holds for its item across checklist versions: the
-- reviewer judged the call, not the phrase list.
CREATE OR REPLACE VIEW effective_verdicts AS
WITH latest AS (
    SELECT call_id, checklist_hash FROM call_scores
    QUALIFY row_number() OVER (PARTITION BY call_id, checklist_id ORDER BY scored_at DESC, checklist_hash) = 1
)
SELECT r.call_id, r.checklist_id, r.checklist_version, r.checklist_hash, r.item_id, r.position, r.weight,
       r.reason, r.evidence, coalesce(v.verdict, r.verdict) AS verdict, r.verdict AS machine_verdict,
       -- Scores from before migration 7 have no per-item flag: a failed critical item is one.
       CASE WHEN v.verdict IS NULL THEN coalesce(r.critical, r.verdict = 'fail' AND coalesce(ci.critical, false))
            ELSE v.verdict = 'fail' AND (coalesce(ci.critical, false) OR coalesce(r.critical, false)) END AS critical,
       v.reviewer, v.note AS review_note, v.reviewed_at
FROM latest
JOIN item_results r USING (call_id, checklist_hash)
LEFT JOIN checklist_items ci ON ci.checklist_hash = r.checklist_hash AND ci.item_id = r.item_id
LEFT JOIN current_reviews v ON v.call_id = r.call_id AND v.checklist_id = r.checklist_id AND v.item_id = r.item_id;

-- Every call with its manager (or 'unassigned') and, per checklist that scored it, the score of
-- that checklist's latest version: one row per call and checklist (one row if never scored).
-- A call a QA lead reviewed is scored on the effective verdicts; machine_score keeps the machine's.
CREATE OR REPLACE VIEW latest_scores AS
SELECT
    c.call_id,
    coalesce(m.manager_id, 'unassigned') AS manager_id,
    coalesce(m.name, 'unassigned') AS name,
    coalesce(m.team, '') AS team,
    c.started_at,
    CAST(coalesce(c.started_at, c.processed_at) AS DATE) AS day,
    c.status,
    c.file_name,
    c.direction,
    c.duration_s,
    s.checklist_id,
    s.checklist_version,
    s.checklist_hash,
    s.score,
    s.critical_failure,
    coalesce(s.critical_failure OR s.score < 50, false) AS flagged,
    s.n_pass,
    s.n_fail,
    s.n_na,
    s.scored_at,
    s.machine_score,
    coalesce(s.reviewed_items, 0) AS reviewed_items
FROM calls c
LEFT JOIN managers m ON m.manager_id = c.manager_id
LEFT JOIN (
    SELECT cs.call_id, cs.checklist_id, cs.checklist_version, cs.checklist_hash, cs.scored_at,
           cs.score AS machine_score, e.reviewed_items,
           -- Unreviewed: the stored score, exactly as the scorer rounded it.
           CASE WHEN e.reviewed_items > 0 THEN e.score ELSE cs.score END AS score,
           CASE WHEN e.reviewed_items > 0 THEN e.critical_failure ELSE cs.critical_failure END AS critical_failure,
           CASE WHEN e.reviewed_items > 0 THEN e.n_pass ELSE cs.n_pass END AS n_pass,
           CASE WHEN e.reviewed_items > 0 THEN e.n_fail ELSE cs.n_fail END AS n_fail,
           CASE WHEN e.reviewed_items > 0 THEN e.n_na ELSE cs.n_na END AS n_na
    FROM call_scores cs
    LEFT JOIN (
        SELECT call_id, checklist_hash, count(reviewer) AS reviewed_items,
               round(100 * coalesce(sum(weight) FILTER (WHERE verdict = 'pass'), 0)
                     / nullif(sum(weight) FILTER (WHERE verdict <> 'na'), 0), 1) AS score,
               bool_or(critical) AS critical_failure,
               count(*) FILTER (WHERE verdict = 'pass')::INTEGER AS n_pass,
               count(*) FILTER (WHERE verdict = 'fail')::INTEGER AS n_fail,
               count(*) FILTER (WHERE verdict = 'na')::INTEGER AS n_na
        FROM effective_verdicts GROUP BY call_id, checklist_hash
    ) e ON e.call_id = cs.call_id AND e.checklist_hash = cs.checklist_hash
    QUALIFY row_number() OVER (PARTITION BY cs.call_id, cs.checklist_id ORDER BY cs.scored_at DESC, cs.checklist_hash) = 1
) s ON s.call_id = c.call_id;

-- Each evidence quote of the latest verdicts, tied to the transcript segment it came from.
CREATE OR REPLACE VIEW evidence_quotes AS
WITH quotes AS (
    SELECT l.call_id, l.manager_id, l.day, r.item_id, r.verdict,
           generate_subscripts(r.evidence, 1) AS n, unnest(r.evidence) AS q
    FROM latest_scores l
    JOIN effective_verdicts r ON r.call_id = l.call_id AND r.checklist_hash = l.checklist_hash
)
SELECT quotes.call_id, quotes.manager_id, quotes.day, quotes.item_id, quotes.verdict, quotes.n,
       q.speaker, q.start_s, q.end_s, q.text, seg.idx AS seg_idx
FROM quotes
LEFT JOIN segments seg
       ON seg.call_id = quotes.call_id AND seg.start_s <= q.end_s AND seg.end_s >= q.start_s
-- A quote may touch two segments: prefer the same speaker, then the closest start.
QUALIFY row_number() OVER (PARTITION BY quotes.call_id, quotes.item_id, quotes.n
                           ORDER BY (seg.speaker = q.speaker) DESC, abs(seg.start_s - q.start_s), seg.idx) = 1;

-- One row per call and checklist item of the call's latest score, with its quotes as a list.
CREATE OR REPLACE VIEW latest_verdicts AS
SELECT l.call_id, l.manager_id, l.name, l.team, l.started_at, l.day, l.score, l.critical_failure,
       r.checklist_id, r.item_id, r.position, r.verdict, r.weight, r.reason,
       coalesce(e.quotes, []) AS quotes,
       r.machine_verdict, r.reviewer, r.review_note, r.reviewed_at
FROM latest_scores l
JOIN effective_verdicts r ON r.call_id = l.call_id AND r.checklist_hash = l.checklist_hash
LEFT JOIN (
    SELECT call_id, item_id,
           list({'speaker': speaker, 'start_s': start_s, 'end_s': end_s, 'text': text, 'seg_idx': seg_idx}
                ORDER BY n) AS quotes
    FROM evidence_quotes GROUP BY call_id, item_id
) e ON e.call_id = r.call_id AND e.item_id = r.item_id;

-- Each call's first failed item (in checklist order) with its first quote: why to listen to it.
CREATE OR REPLACE VIEW first_failures AS
SELECT call_id, checklist_id, item_id, reason, quotes[1].text AS quote, quotes[1].start_s AS quote_s,
       quotes[1].seg_idx AS seg_idx
FROM latest_verdicts
WHERE verdict = 'fail'
QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY position, checklist_id) = 1;

-- How often the machine's verdict stood where a QA lead judged the item.
CREATE OR REPLACE VIEW review_agreement AS
SELECT checklist_id, item_id, min(position) AS position,
       count(*) AS reviewed,
       count(*) FILTER (WHERE verdict = machine_verdict) AS agreed,
       pass_rate(agreed, reviewed) AS agreement
FROM effective_verdicts
WHERE reviewer IS NOT NULL
GROUP BY checklist_id, item_id;

-- Calibration: two QA leads' newest verdicts on the same call and item, per pair of reviewers.
CREATE OR REPLACE VIEW reviewer_agreement AS
WITH newest AS (
    SELECT * FROM reviews
    QUALIFY row_number() OVER (PARTITION BY call_id, checklist_id, item_id, reviewer
                               ORDER BY reviewed_at DESC, review_id DESC) = 1
)
SELECT a.reviewer AS reviewer_a, b.reviewer AS reviewer_b,
       count(*) AS items,
       count(*) FILTER (WHERE a.verdict = b.verdict) AS agreed,
       pass_rate(agreed, items) AS agreement
FROM newest a
JOIN newest b ON b.call_id = a.call_id AND b.checklist_id = a.checklist_id AND b.item_id = a.item_id
             AND a.reviewer < b.reviewer
GROUP BY a.reviewer, b.reviewer;

-- The promises ledger with its follow-through, as of now (PBX local time, as started_at). A
-- callback is kept by a later call of the same manager to the same customer number, at or before
-- its due moment (a vague one: within 7 days); past due without one it is overdue. Other kinds
-- cannot be checked from calls: past due, they are past_due.
CREATE OR REPLACE VIEW promises AS
SELECT k.call_id, k.idx, coalesce(m.manager_id, 'unassigned') AS manager_id, coalesce(m.name, 'unassigned') AS name,
       k.customer_phone, c.started_at AS promised_at, k.kind, k.quote, k.start_s, k.due_at, k.due_text,
       k.vague, k.absolute, f.kept_by, f.kept_at,
       CASE WHEN f.kept_by IS NOT NULL THEN 'kept'
            WHEN k.due_at IS NULL AND k.kind = 'callback' AND c.started_at + INTERVAL 7 DAY < localtimestamp THEN 'overdue'
            WHEN k.due_at IS NULL THEN 'open'
            WHEN k.due_at < localtimestamp THEN CASE WHEN k.kind = 'callback' THEN 'overdue' ELSE 'past_due' END
            WHEN CAST(k.due_at AS DATE) = current_date THEN 'due_today'
            ELSE 'open' END AS status
FROM commitments k
JOIN calls c ON c.call_id = k.call_id
LEFT JOIN managers m ON m.manager_id = k.manager_id
LEFT JOIN (
    SELECT k2.call_id, k2.idx, arg_min(later.call_id, later.started_at) AS kept_by, min(later.started_at) AS kept_at
    FROM commitments k2
    JOIN calls first ON first.call_id = k2.call_id
    JOIN calls later ON later.manager_id = k2.manager_id AND later.customer_phone = k2.customer_phone
                    AND later.call_id <> k2.call_id AND later.started_at > first.started_at
                    AND later.started_at <= coalesce(k2.due_at, first.started_at + INTERVAL 7 DAY)
    WHERE k2.kind = 'callback'
    GROUP BY k2.call_id, k2.idx
) f ON f.call_id = k.call_id AND f.idx = k.idx;

-- A manager's figures per day, week (from Monday) or month: one definition for the three views.
CREATE OR REPLACE MACRO manager_period(unit) AS TABLE
SELECT manager_id, name, team, CAST(date_trunc(unit, day) AS DATE) AS period_start,
       count(*) AS calls,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(score) AS scored,
       round(avg(score), 1) AS avg_score,
       count(*) FILTER (WHERE critical_failure) AS critical_failures,
       round(sum(duration_s) / 60, 1) AS audio_minutes
FROM latest_scores
GROUP BY ALL;

CREATE OR REPLACE VIEW manager_daily AS
SELECT manager_id, name, team, period_start AS day, calls, failed, scored, avg_score, critical_failures, audio_minutes
FROM manager_period('day');

CREATE OR REPLACE VIEW manager_weekly AS
SELECT * FROM manager_period('week');
CREATE OR REPLACE VIEW manager_monthly AS
SELECT * FROM manager_period('month');

-- The file name of a call's page in the reports (report.slug in Python): safe ids as they are,
-- others with unsafe runs replaced and a hash of the id appended.
CREATE OR REPLACE MACRO safe_id(id) AS left(trim(regexp_replace(id, '[^A-Za-z0-9_.-]+', '-', 'g'), '-.'), 80);
CREATE OR REPLACE MACRO call_page(id) AS
    'calls/' || CASE WHEN safe_id(id) = id THEN id
                     WHEN safe_id(id) = '' THEN left(sha256(id), 8)
                     ELSE safe_id(id) || '-' || left(sha256(id), 8)
                END || '.html';

CREATE OR REPLACE VIEW evidence AS
SELECT call_id, manager_id, day, item_id, verdict, speaker, start_s, end_s, text AS quote,
       call_page(call_id) AS page
FROM evidence_quotes;

-- Full-text search: search('too expensive OR дорого') gives the segments that hold every word of
-- one alternative (OR, ИЛИ between them), each word matched by its stem (segment_terms), ranked
-- by BM25 (k1 = 1.2, b = 0.75, lengths in characters), best first. In a WHERE clause:
-- WHERE (call_id, idx) IN (SELECT call_id, idx FROM search('...')).
CREATE OR REPLACE MACRO search(q) AS TABLE
WITH alternatives AS (
    SELECT row_number() OVER () AS alt, words
    FROM (SELECT unnest(string_split_regex(q, '(?i)\s+(?:or|или)\s+')) AS words)),
wanted AS (SELECT DISTINCT alt, fts_stem(unnest(fts_words(words))) AS term FROM alternatives),
sizes AS (SELECT alt, count(*) AS n FROM wanted GROUP BY alt),
hits AS (SELECT call_id, idx, term, tf FROM segment_terms WHERE term IN (SELECT term FROM wanted)),
matched AS (
    SELECT DISTINCT h.call_id, h.idx FROM hits h JOIN wanted w USING (term) JOIN sizes z USING (alt)
    GROUP BY h.call_id, h.idx, w.alt, z.n HAVING count(*) = z.n),
df AS (SELECT term, count(*) AS df FROM hits GROUP BY term),
corpus AS (SELECT count(*) AS docs, avg(length(text)) AS avgdl FROM segments)
SELECT s.call_id, s.idx, s.speaker, s.start_s, s.end_s, s.text,
       round(sum(ln(1 + (c.docs - df.df + 0.5) / (df.df + 0.5)) * h.tf * 2.2
                 / (h.tf + 1.2 * (0.25 + 0.75 * length(s.text) / c.avgdl))), 3) AS rank
FROM matched m JOIN hits h USING (call_id, idx) JOIN df USING (term) JOIN segments s USING (call_id, idx), corpus c
GROUP BY s.call_id, s.idx, s.speaker, s.start_s, s.end_s, s.text
ORDER BY rank DESC, s.call_id, s.idx;

CREATE OR REPLACE VIEW manager_item_pass_rates AS
SELECT manager_id, name, team, checklist_id, item_id,
       min(position) AS position,
       count(*) FILTER (WHERE verdict <> 'na') AS applicable,
       count(*) FILTER (WHERE verdict = 'pass') AS passes,
       count(*) FILTER (WHERE verdict = 'fail') AS fails,
       count(*) FILTER (WHERE verdict = 'na') AS na,
       pass_rate(passes, applicable) AS pass_rate
FROM latest_verdicts
GROUP BY manager_id, name, team, checklist_id, item_id;

CREATE OR REPLACE VIEW item_pass_rates AS
SELECT checklist_id, item_id,
       min(position) AS position,
       sum(applicable)::BIGINT AS applicable,
       sum(passes)::BIGINT AS passes,
       sum(fails)::BIGINT AS fails,
       sum(na)::BIGINT AS na,
       pass_rate(sum(passes), sum(applicable)) AS pass_rate
FROM manager_item_pass_rates
GROUP BY checklist_id, item_id;

CREATE OR REPLACE VIEW failed_calls AS
SELECT DISTINCT c.call_id, l.manager_id, l.name, l.team, c.started_at, l.day, c.file_name, c.path,
       coalesce(c.error, c.score_error) AS error, c.status = 'ok' AS transcribed, c.run_id, c.processed_at
FROM calls c
JOIN latest_scores l ON l.call_id = c.call_id
WHERE c.status = 'failed' OR c.score_error IS NOT NULL;

-- Conversation metrics per manager beside the whole team's: the norms reports compare with.
CREATE OR REPLACE VIEW manager_metrics AS
SELECT coalesce(m.manager_id, 'unassigned') AS manager_id, coalesce(m.name, 'unassigned') AS name,
       count(*) AS calls,
       round(avg(x.talk_listen_ratio), 2) AS talk_listen_ratio,
       round(avg(x.agent_longest_monologue_s), 1) AS agent_longest_monologue_s,
       round(avg(x.silence_share), 3) AS silence_share,
       round(avg(x.longest_silence_s), 1) AS longest_silence_s,
       round(avg(x.agent_interruptions), 2) AS agent_interruptions,
       round(avg(x.customer_interruptions), 2) AS customer_interruptions,
       round(avg(x.agent_wpm), 1) AS agent_wpm
FROM call_metrics x
JOIN calls c ON c.call_id = x.call_id
LEFT JOIN managers m ON m.manager_id = c.manager_id
GROUP BY ALL;

CREATE OR REPLACE VIEW team_metrics AS
SELECT count(*) AS calls,
       round(median(talk_listen_ratio), 2) AS talk_listen_ratio,
       round(median(agent_longest_monologue_s), 1) AS agent_longest_monologue_s,
       round(median(silence_share), 3) AS silence_share,
       round(median(longest_silence_s), 1) AS longest_silence_s,
       round(avg(agent_interruptions), 2) AS agent_interruptions,
       round(avg(customer_interruptions), 2) AS customer_interruptions,
       round(median(agent_wpm), 1) AS agent_wpm
FROM call_metrics;

COMMENT ON TABLE checklist_items IS 'Every item of every checklist version a run has used, so reports and SQL can show titles and coaching guidance for stored verdicts. Written once per checklist content hash.';
COMMENT ON COLUMN checklist_items.checklist_hash IS 'First 12 hex digits of the checklist file''s sha256; joins item_results.checklist_hash.';
COMMENT ON COLUMN checklist_items.checklist_id IS 'The checklist''s id, e.g. sales_call.';
COMMENT ON COLUMN checklist_items.checklist_version IS 'The version the checklist file declares.';
COMMENT ON COLUMN checklist_items.item_id IS 'Item id, e.g. asked_convenient.';
COMMENT ON COLUMN checklist_items.position IS 'Order of the item in the checklist.';
COMMENT ON COLUMN checklist_items.title IS 'Human title of the item.';
COMMENT ON COLUMN checklist_items.guidance IS 'Coaching text shown to a manager who failed the item.';
COMMENT ON COLUMN checklist_items.weight IS 'Weight of the item in the call score.';
COMMENT ON COLUMN checklist_items.critical IS 'A failure of this item flags the whole call.';
COMMENT ON COLUMN checklist_items.registered_at IS 'When a run first used this checklist version (UTC).';
COMMENT ON TABLE schema_version IS 'The numbered migrations (pipeline/sql/migrations) applied to this file, one row each.';
COMMENT ON COLUMN schema_version.version IS 'Migration number; the highest is the schema version of the file.';
COMMENT ON COLUMN schema_version.name IS 'Migration file name without .sql.';
COMMENT ON COLUMN schema_version.applied_at IS 'When it was applied (UTC).';
COMMENT ON COLUMN runs.scored IS 'Stored transcripts the run''s scoring pass scored (its own calls and any that a checklist edit made stale).';
COMMENT ON TABLE managers IS 'People who make the calls, loaded from managers.csv. Calls whose manager_id is missing here show as ''unassigned'' in views.';
COMMENT ON COLUMN managers.manager_id IS 'Identifier used by the PBX (usually the extension), as found in file names or calls.csv.';
COMMENT ON COLUMN managers.name IS 'Display name.';
COMMENT ON COLUMN managers.team IS 'Team or department; empty when unknown.';

COMMENT ON TABLE runs IS 'One row per pipeline run (nightly or manual): what it found and did.';
COMMENT ON COLUMN runs.transcription_s IS 'Wall-clock seconds from the first call submitted to the last one stored (workers transcribe side by side; storage_s is inside it).';
COMMENT ON COLUMN runs.storage_s IS 'Seconds writing transcribed calls to the database.';
COMMENT ON COLUMN runs.scoring_s IS 'Seconds of the scoring pass.';
COMMENT ON COLUMN runs.publish_s IS 'Seconds writing the published read-only copy.';
COMMENT ON COLUMN runs.reports_s IS 'Seconds rendering the HTML reports.';
COMMENT ON COLUMN runs.run_id IS 'Identifier of the run; calls.run_id points here.';
COMMENT ON COLUMN runs.started_at IS 'When the run started (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'When the run finished (UTC); NULL while running or if it crashed.';
COMMENT ON COLUMN runs.inbox IS 'Folder the recordings were read from.';
COMMENT ON COLUMN runs.engine IS 'Speech-to-text engine: faster-whisper or openai-whisper.';
COMMENT ON COLUMN runs.model IS 'Whisper model name or path.';
COMMENT ON COLUMN runs.checklist_id IS 'Checklist the calls were scored against.';
COMMENT ON COLUMN runs.checklist_version IS 'Version of that checklist.';
COMMENT ON COLUMN runs.found IS 'Audio files found in the inbox.';
COMMENT ON COLUMN runs.skipped IS 'Files skipped because the same bytes were processed before.';
COMMENT ON COLUMN runs.ok IS 'Calls transcribed and scored.';
COMMENT ON COLUMN runs.failed IS 'Calls that failed; see calls.error.';
COMMENT ON COLUMN runs.audio_seconds IS 'Seconds of audio processed.';
COMMENT ON COLUMN runs.report_path IS 'Path of the index.html the run rendered.';
COMMENT ON COLUMN runs.error IS 'Why the whole run failed, if it did.';
COMMENT ON COLUMN runs.warnings IS 'Problems of the whole run that no call shows: an unreadable calls.csv, rows naming files not in the inbox, files left for the next run because they were still being copied.';

COMMENT ON TABLE calls IS 'One row per recording (identified by its bytes), processed or failed.';
COMMENT ON COLUMN calls.call_id IS 'Call identifier from the PBX metadata or the file name.';
COMMENT ON COLUMN calls.sha256 IS 'SHA-256 of the audio file: the same bytes are never processed twice.';
COMMENT ON COLUMN calls.path IS 'Path of the recording when it was processed.';
COMMENT ON COLUMN calls.file_name IS 'File name of the recording.';
COMMENT ON COLUMN calls.size_bytes IS 'File size in bytes.';
COMMENT ON COLUMN calls.manager_id IS 'Manager as recorded by the PBX; may be NULL or absent from managers.';
COMMENT ON COLUMN calls.started_at IS 'When the call started, PBX local time; NULL if the metadata had no date.';
COMMENT ON COLUMN calls.direction IS 'in or out (or whatever the PBX wrote).';
COMMENT ON COLUMN calls.customer_phone IS 'Customer phone number: personal data, reports show only its last digits.';
COMMENT ON COLUMN calls.status IS 'ok (transcribed and stored; scoring is its own pass) or failed (see error).';
COMMENT ON COLUMN calls.queue IS 'The calls.csv queue column: checklist_rules in callqa.toml may route by it.';
COMMENT ON COLUMN calls.checklist IS 'The calls.csv checklist column: the id of the checklist that scores this call, over any rule.';
COMMENT ON COLUMN calls.transcript_settings IS 'JSON of the settings that shaped the transcript (beam size, language, compute type, initial prompt, channel roles).';
COMMENT ON COLUMN calls.roles_confidence IS 'Mono calls split by voice: how sure the agent/customer roles are, 0 to 1 (below 0.15 the call carries a warning); NULL for stereo.';
COMMENT ON COLUMN calls.score_error IS 'Why the checklist could not score the stored transcript (e.g. no phrases for its language); NULL once scored.';
COMMENT ON COLUMN calls.error IS 'Why processing failed; NULL when status is ok.';
COMMENT ON COLUMN calls.warnings IS 'Problems that did not stop processing (bad metadata, low confidence, ...).';
COMMENT ON COLUMN calls.duration_s IS 'Audio duration in seconds.';
COMMENT ON COLUMN calls.channels IS 'Audio channels: 2 usually means agent and customer on separate channels.';
COMMENT ON COLUMN calls.language IS 'Language of the transcript (ISO code).';
COMMENT ON COLUMN calls.engine IS 'Speech-to-text engine used.';
COMMENT ON COLUMN calls.model IS 'Whisper model used.';
COMMENT ON COLUMN calls.transcribe_s IS 'Wall-clock seconds from the first block read to the transcript: decode_s + vad_s + asr_s + voices_s and the rest.';
COMMENT ON COLUMN calls.decode_s IS 'Seconds decoding the recording (PyAV, resampling to 16 kHz), both readings of a mono call.';
COMMENT ON COLUMN calls.vad_s IS 'Seconds finding speech (Silero voice activity).';
COMMENT ON COLUMN calls.asr_s IS 'Seconds in Whisper.';
COMMENT ON COLUMN calls.voices_s IS 'Seconds telling two voices apart in a mono call (resemblyzer); NULL for stereo.';
COMMENT ON COLUMN calls.run_id IS 'Run that processed the call (runs.run_id).';
COMMENT ON COLUMN calls.processed_at IS 'When the call was stored (UTC).';

COMMENT ON TABLE file_identity IS 'Inbox files already hashed: a file with the same path, size and mtime is not read again (a re-run over thousands of processed calls returns in seconds).';
COMMENT ON COLUMN file_identity.path IS 'Absolute path of the inbox file.';
COMMENT ON COLUMN file_identity.size IS 'Size in bytes when it was hashed.';
COMMENT ON COLUMN file_identity.mtime_ns IS 'Modification time (ns since the epoch) when it was hashed.';
COMMENT ON COLUMN file_identity.sha256 IS 'SHA-256 of its bytes: the recording''s identity (calls.sha256).';

COMMENT ON TABLE call_metrics IS 'Conversation metrics of each transcribed call (pipeline/metrics.py), from segment times: who talked how long, monologues, silence, interruptions, speech rate. Per-side columns are NULL for mono calls.';
COMMENT ON COLUMN call_metrics.call_id IS 'calls.call_id';
COMMENT ON COLUMN call_metrics.duration_s IS 'Call duration in seconds (the audio, or the last word if later).';
COMMENT ON COLUMN call_metrics.talk_s IS 'Seconds in which anyone speaks.';
COMMENT ON COLUMN call_metrics.silence_share IS 'Share of the duration in which nobody speaks, 0 to 1.';
COMMENT ON COLUMN call_metrics.longest_silence_s IS 'Longest pause between two utterances, in seconds: a hold or dead air.';
COMMENT ON COLUMN call_metrics.agent_talk_s IS 'Seconds the agent speaks.';
COMMENT ON COLUMN call_metrics.customer_talk_s IS 'Seconds the customer speaks.';
COMMENT ON COLUMN call_metrics.talk_listen_ratio IS 'Agent talk time divided by customer talk time (above 1: the agent talks more).';
COMMENT ON COLUMN call_metrics.agent_longest_monologue_s IS 'Longest stretch of agent speech with the customer silent, in seconds.';
COMMENT ON COLUMN call_metrics.agent_interruptions IS 'Times the agent started while the customer was speaking (stereo overlap).';
COMMENT ON COLUMN call_metrics.customer_interruptions IS 'Times the customer started while the agent was speaking.';
COMMENT ON COLUMN call_metrics.agent_wpm IS 'Agent words per minute of the agent''s own talk time.';
COMMENT ON COLUMN call_metrics.customer_wpm IS 'Customer words per minute of the customer''s own talk time.';
COMMENT ON VIEW manager_metrics IS 'Per manager: calls with metrics and the averages of call_metrics (interruptions per call).';
COMMENT ON VIEW team_metrics IS 'The team norms: medians of call_metrics over every call (interruptions: the mean per call).';
COMMENT ON TABLE segments IS 'Transcript of each call: one row per utterance, in time order.';
COMMENT ON COLUMN segments.call_id IS 'calls.call_id';
COMMENT ON COLUMN segments.idx IS 'Position in the dialogue, from 0; reports link to it as #seg-<idx>.';
COMMENT ON COLUMN segments.speaker IS 'agent, customer or unknown.';
COMMENT ON COLUMN segments.start_s IS 'Start, seconds from the beginning of the call.';
COMMENT ON COLUMN segments.end_s IS 'End, seconds from the beginning of the call.';
COMMENT ON COLUMN segments.text IS 'What was said, as recognised (may contain recognition errors).';
COMMENT ON COLUMN segments.avg_logprob IS 'Recogniser confidence (closer to 0 is surer); NULL if unknown.';

COMMENT ON TABLE item_results IS 'Verdict on each checklist item for each call, with the quotes that justify it. A call rescored with another checklist gets more rows (another checklist_hash).';
COMMENT ON COLUMN item_results.call_id IS 'calls.call_id';
COMMENT ON COLUMN item_results.checklist_id IS 'Checklist identifier, e.g. sales_call.';
COMMENT ON COLUMN item_results.checklist_version IS 'Checklist version as written in its file.';
COMMENT ON COLUMN item_results.checklist_hash IS 'Hash of the checklist content: tells apart edits that kept the version.';
COMMENT ON COLUMN item_results.item_id IS 'Checklist item: introduced, asked_convenient, handled_objections, recorded_outcome, politeness, ...';
COMMENT ON COLUMN item_results.position IS 'Order of the item in the checklist, from 0.';
COMMENT ON COLUMN item_results.verdict IS 'pass, fail or na (not applicable, e.g. no objection was raised).';
COMMENT ON COLUMN item_results.weight IS 'Weight of the item in the call score.';
COMMENT ON COLUMN item_results.reason IS 'One line explaining the verdict.';
COMMENT ON COLUMN item_results.evidence IS 'Quotes behind the verdict: list of {speaker, start_s, end_s, text}.';
COMMENT ON COLUMN item_results.scored_at IS 'When the verdict was stored (UTC).';

COMMENT ON TABLE reviews IS 'QA leads'' verdicts over the machine''s, only ever added: the newest per call, checklist and item stands (current_reviews), the rest is its history.';
COMMENT ON COLUMN reviews.review_id IS 'Unique id of the review (a UUID), so a review queued while the database was busy is stored once.';
COMMENT ON COLUMN reviews.call_id IS 'calls.call_id';
COMMENT ON COLUMN reviews.checklist_id IS 'Checklist of the item reviewed.';
COMMENT ON COLUMN reviews.item_id IS 'Checklist item reviewed.';
COMMENT ON COLUMN reviews.verdict IS 'The reviewer''s verdict: pass, fail or na.';
COMMENT ON COLUMN reviews.machine_verdict IS 'The machine''s verdict when the review was made.';
COMMENT ON COLUMN reviews.reviewer IS 'Who reviewed (never empty).';
COMMENT ON COLUMN reviews.note IS 'Why, in the reviewer''s words.';
COMMENT ON COLUMN reviews.reviewed_at IS 'When (UTC).';
COMMENT ON COLUMN item_results.critical IS 'This verdict flags the call: a critical item failed, or a critical forbidden phrase was said. NULL in scores from before migration 7.';
COMMENT ON TABLE call_scores IS 'Score of each call against a checklist; latest_scores picks the most recent per call.';
COMMENT ON COLUMN call_scores.call_id IS 'calls.call_id';
COMMENT ON COLUMN call_scores.checklist_id IS 'Checklist identifier.';
COMMENT ON COLUMN call_scores.checklist_version IS 'Checklist version.';
COMMENT ON COLUMN call_scores.checklist_hash IS 'Hash of the checklist content.';
COMMENT ON COLUMN call_scores.score IS 'Weighted share of applicable items passed, 0..100; NULL if no item applied.';
COMMENT ON COLUMN call_scores.critical_failure IS 'A critical item failed (e.g. rudeness): review whatever the score.';
COMMENT ON COLUMN call_scores.n_pass IS 'Items passed.';
COMMENT ON COLUMN call_scores.n_fail IS 'Items failed.';
COMMENT ON COLUMN call_scores.n_na IS 'Items not applicable.';
COMMENT ON COLUMN call_scores.scored_at IS 'When the score was stored (UTC).';

COMMENT ON VIEW latest_scores IS 'One row per call and checklist that scored it (one row with NULL checklist if none did), with manager (''unassigned'' if unknown), day (of started_at, or of processed_at when the PBX gave no date), status and the score of that checklist''s latest version. flagged = critical failure or score below 50.';
COMMENT ON VIEW evidence_quotes IS 'One row per evidence quote of the latest verdicts, with seg_idx: the transcript segment it came from.';
COMMENT ON VIEW current_reviews IS 'The newest review per call, checklist and item: the human verdict that stands.';
COMMENT ON VIEW effective_verdicts IS 'Each verdict of the latest checklist version per call: machine_verdict, and verdict with a QA lead''s review over it; critical = it flags the call.';
COMMENT ON VIEW review_agreement IS 'Per checklist item: items a QA lead judged (reviewed), how many kept the machine''s verdict (agreed), agreement in percent.';
COMMENT ON VIEW reviewer_agreement IS 'Calibration: per pair of QA leads, the items both judged, how many alike, agreement in percent.';
COMMENT ON VIEW latest_verdicts IS 'One row per call and checklist item of the latest score, with manager, day and the quotes (with seg_idx).';
COMMENT ON VIEW manager_daily IS 'Per manager and day: calls, failed, scored, avg_score (0..100), critical_failures, audio_minutes.';
COMMENT ON VIEW manager_weekly IS 'Per manager and week (period_start: its Monday): the columns of manager_daily.';
COMMENT ON VIEW manager_monthly IS 'Per manager and month (period_start: its first day): the columns of manager_daily.';
COMMENT ON VIEW evidence IS 'One row per quote behind the latest verdicts: call, manager, day, item, verdict, speaker, time, quote and the call page in the reports.';
COMMENT ON VIEW manager_item_pass_rates IS 'Per manager and checklist item: applicable (pass+fail), passes, fails, na and pass_rate in percent.';
COMMENT ON VIEW item_pass_rates IS 'Per checklist item over the whole team: applicable (pass+fail), passes, fails, na and pass_rate in percent.';
COMMENT ON VIEW failed_calls IS 'Calls that could not be transcribed, or whose transcript the checklist could not score, with the error and the file name.';

-- View columns. CREATE OR REPLACE VIEW above drops their comments, so they follow the views.
COMMENT ON COLUMN latest_scores.call_id IS 'calls.call_id';
COMMENT ON COLUMN latest_scores.manager_id IS 'managers.manager_id, or ''unassigned'' when the call names no known manager.';
COMMENT ON COLUMN latest_scores.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN latest_scores.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN latest_scores.started_at IS 'When the call started, PBX local time; NULL if the metadata had no date.';
COMMENT ON COLUMN latest_scores.day IS 'Day of started_at, or of processed_at when the PBX gave no date.';
COMMENT ON COLUMN latest_scores.status IS 'ok (transcribed) or failed (see calls.error).';
COMMENT ON COLUMN latest_scores.file_name IS 'File name of the recording.';
COMMENT ON COLUMN latest_scores.direction IS 'in or out (or whatever the PBX wrote).';
COMMENT ON COLUMN latest_scores.duration_s IS 'Audio duration in seconds; NULL for a file that could not be decoded.';
COMMENT ON COLUMN latest_scores.checklist_id IS 'Checklist of the most recent score; NULL if the call was never scored.';
COMMENT ON COLUMN latest_scores.checklist_version IS 'Version of that checklist.';
COMMENT ON COLUMN latest_scores.checklist_hash IS 'Hash of that checklist''s content; joins item_results.checklist_hash.';
COMMENT ON COLUMN latest_scores.score IS 'Most recent score, 0..100 with one decimal; NULL if nothing applied or the call failed.';
COMMENT ON COLUMN latest_scores.critical_failure IS 'A critical item failed (e.g. rudeness).';
COMMENT ON COLUMN latest_scores.flagged IS 'To review: a critical failure or a score below 50 (a score of exactly 50 is not flagged).';
COMMENT ON COLUMN latest_scores.n_pass IS 'Items passed.';
COMMENT ON COLUMN latest_scores.n_fail IS 'Items failed.';
COMMENT ON COLUMN latest_scores.n_na IS 'Items not applicable.';
COMMENT ON COLUMN latest_scores.scored_at IS 'When the score was stored (UTC).';
COMMENT ON COLUMN latest_scores.machine_score IS 'The score the machine gave, before any QA lead''s review.';
COMMENT ON COLUMN latest_scores.reviewed_items IS 'Items a QA lead judged (see reviews); when above 0, score, critical_failure and n_* follow the effective verdicts.';

COMMENT ON COLUMN evidence_quotes.call_id IS 'calls.call_id';
COMMENT ON COLUMN evidence_quotes.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN evidence_quotes.day IS 'Day of the call (see latest_scores.day).';
COMMENT ON COLUMN evidence_quotes.item_id IS 'Checklist item the quote is evidence for.';
COMMENT ON COLUMN evidence_quotes.verdict IS 'pass, fail or na: the verdict the quote supports.';
COMMENT ON COLUMN evidence_quotes.n IS 'Position of the quote in the verdict''s evidence, from 1.';
COMMENT ON COLUMN evidence_quotes.speaker IS 'agent, customer or unknown.';
COMMENT ON COLUMN evidence_quotes.start_s IS 'Start of the quote, seconds from the beginning of the call.';
COMMENT ON COLUMN evidence_quotes.end_s IS 'End of the quote, seconds from the beginning of the call.';
COMMENT ON COLUMN evidence_quotes.text IS 'The quoted words.';
COMMENT ON COLUMN evidence_quotes.seg_idx IS 'segments.idx of the segment the quote came from; NULL if none overlaps it.';

COMMENT ON COLUMN latest_verdicts.call_id IS 'calls.call_id';
COMMENT ON COLUMN latest_verdicts.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN latest_verdicts.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN latest_verdicts.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN latest_verdicts.started_at IS 'When the call started, PBX local time.';
COMMENT ON COLUMN latest_verdicts.day IS 'Day of the call (see latest_scores.day).';
COMMENT ON COLUMN latest_verdicts.score IS 'The call''s score, 0..100; NULL if nothing applied.';
COMMENT ON COLUMN latest_verdicts.critical_failure IS 'A critical item of the call failed.';
COMMENT ON COLUMN latest_verdicts.checklist_id IS 'Checklist of the verdict.';
COMMENT ON COLUMN latest_verdicts.item_id IS 'Checklist item.';
COMMENT ON COLUMN latest_verdicts.position IS 'Order of the item in the checklist, from 0.';
COMMENT ON COLUMN latest_verdicts.verdict IS 'pass, fail or na (not applicable): the effective verdict, a QA lead''s over the machine''s.';
COMMENT ON COLUMN latest_verdicts.weight IS 'Weight of the item in the call score.';
COMMENT ON COLUMN latest_verdicts.reason IS 'One line explaining the verdict.';
COMMENT ON COLUMN latest_verdicts.machine_verdict IS 'The machine''s verdict; verdict differs from it where a QA lead overruled it.';
COMMENT ON COLUMN latest_verdicts.reviewer IS 'The QA lead of the newest review of this item; NULL when no one reviewed it.';
COMMENT ON COLUMN latest_verdicts.review_note IS 'Why, in the reviewer''s words.';
COMMENT ON COLUMN latest_verdicts.reviewed_at IS 'When the newest review was made (UTC).';
COMMENT ON COLUMN latest_verdicts.quotes IS 'Evidence: list of {speaker, start_s, end_s, text, seg_idx}, seg_idx being the segment quoted.';

COMMENT ON COLUMN manager_daily.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN manager_daily.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN manager_daily.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN manager_daily.day IS 'Day (see latest_scores.day).';
COMMENT ON COLUMN manager_daily.calls IS 'Calls that day, processed or failed.';
COMMENT ON COLUMN manager_daily.failed IS 'Calls that could not be processed.';
COMMENT ON COLUMN manager_daily.scored IS 'Calls with a score.';
COMMENT ON COLUMN manager_daily.avg_score IS 'Average score of the scored calls, one decimal (half away from zero); NULL if none.';
COMMENT ON COLUMN manager_daily.critical_failures IS 'Calls with a critical failure.';
COMMENT ON COLUMN manager_daily.audio_minutes IS 'Minutes of audio, one decimal.';

COMMENT ON COLUMN manager_item_pass_rates.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN manager_item_pass_rates.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN manager_item_pass_rates.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN manager_item_pass_rates.checklist_id IS 'Checklist of the verdicts.';
COMMENT ON COLUMN manager_item_pass_rates.item_id IS 'Checklist item.';
COMMENT ON COLUMN manager_item_pass_rates.position IS 'Order of the item in the checklist, from 0.';
COMMENT ON COLUMN manager_item_pass_rates.applicable IS 'Calls where the item applied (pass or fail).';
COMMENT ON COLUMN manager_item_pass_rates.passes IS 'Calls that passed the item.';
COMMENT ON COLUMN manager_item_pass_rates.fails IS 'Calls that failed the item.';
COMMENT ON COLUMN manager_item_pass_rates.na IS 'Calls where the item did not apply.';
COMMENT ON COLUMN manager_item_pass_rates.pass_rate IS 'passes / applicable in percent, one decimal; NULL if never applicable.';

COMMENT ON COLUMN item_pass_rates.checklist_id IS 'Checklist of the verdicts.';
COMMENT ON COLUMN item_pass_rates.item_id IS 'Checklist item.';
COMMENT ON COLUMN item_pass_rates.position IS 'Order of the item in the checklist, from 0.';
COMMENT ON COLUMN item_pass_rates.applicable IS 'Calls of the whole team where the item applied (pass or fail).';
COMMENT ON COLUMN item_pass_rates.passes IS 'Calls that passed the item.';
COMMENT ON COLUMN item_pass_rates.fails IS 'Calls that failed the item.';
COMMENT ON COLUMN item_pass_rates.na IS 'Calls where the item did not apply.';
COMMENT ON COLUMN item_pass_rates.pass_rate IS 'passes / applicable in percent, one decimal; NULL if never applicable.';

COMMENT ON COLUMN failed_calls.call_id IS 'calls.call_id';
COMMENT ON COLUMN failed_calls.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN failed_calls.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN failed_calls.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN failed_calls.started_at IS 'When the call started, PBX local time; NULL if unknown.';
COMMENT ON COLUMN failed_calls.day IS 'Day of the call (see latest_scores.day).';
COMMENT ON COLUMN failed_calls.file_name IS 'File name of the recording.';
COMMENT ON COLUMN failed_calls.path IS 'Path of the recording when it was processed.';
COMMENT ON COLUMN failed_calls.error IS 'Why it could not be transcribed or scored.';
COMMENT ON COLUMN failed_calls.transcribed IS 'true when the transcript is stored and only scoring failed: `callqa rescore` retries it.';
COMMENT ON COLUMN failed_calls.run_id IS 'Run that tried it (runs.run_id).';
COMMENT ON COLUMN failed_calls.processed_at IS 'When it was tried (UTC).';
COMMENT ON COLUMN manager_metrics.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN manager_metrics.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN manager_metrics.calls IS 'Calls with metrics.';
COMMENT ON COLUMN manager_metrics.talk_listen_ratio IS 'Mean agent/customer talk ratio.';
COMMENT ON COLUMN manager_metrics.agent_longest_monologue_s IS 'Mean longest agent monologue, seconds.';
COMMENT ON COLUMN manager_metrics.silence_share IS 'Mean share of silence, 0 to 1.';
COMMENT ON COLUMN manager_metrics.longest_silence_s IS 'Mean longest silence, seconds.';
COMMENT ON COLUMN manager_metrics.agent_interruptions IS 'Mean interruptions by the agent per call.';
COMMENT ON COLUMN manager_metrics.customer_interruptions IS 'Mean interruptions by the customer per call.';
COMMENT ON COLUMN manager_metrics.agent_wpm IS 'Mean agent words per minute.';
COMMENT ON COLUMN team_metrics.calls IS 'Calls with metrics.';
COMMENT ON COLUMN team_metrics.talk_listen_ratio IS 'Median agent/customer talk ratio.';
COMMENT ON COLUMN team_metrics.agent_longest_monologue_s IS 'Median longest agent monologue, seconds.';
COMMENT ON COLUMN team_metrics.silence_share IS 'Median share of silence, 0 to 1.';
COMMENT ON COLUMN team_metrics.longest_silence_s IS 'Median longest silence, seconds.';
COMMENT ON COLUMN team_metrics.agent_interruptions IS 'Mean interruptions by the agent per call.';
COMMENT ON COLUMN team_metrics.customer_interruptions IS 'Mean interruptions by the customer per call.';
COMMENT ON COLUMN team_metrics.agent_wpm IS 'Median agent words per minute.';
COMMENT ON COLUMN current_reviews.review_id IS 'Unique id of the review (a UUID), so a review queued while the database was busy is stored once.';
COMMENT ON COLUMN current_reviews.call_id IS 'calls.call_id';
COMMENT ON COLUMN current_reviews.checklist_id IS 'Checklist of the item reviewed.';
COMMENT ON COLUMN current_reviews.item_id IS 'Checklist item reviewed.';
COMMENT ON COLUMN current_reviews.verdict IS 'The reviewer''s verdict: pass, fail or na.';
COMMENT ON COLUMN current_reviews.machine_verdict IS 'The machine''s verdict when the review was made.';
COMMENT ON COLUMN current_reviews.reviewer IS 'Who reviewed (never empty).';
COMMENT ON COLUMN current_reviews.note IS 'Why, in the reviewer''s words.';
COMMENT ON COLUMN current_reviews.reviewed_at IS 'When (UTC).';
COMMENT ON COLUMN effective_verdicts.call_id IS 'calls.call_id';
COMMENT ON COLUMN effective_verdicts.checklist_id IS 'Checklist of the verdict.';
COMMENT ON COLUMN effective_verdicts.checklist_version IS 'Its latest version that scored the call.';
COMMENT ON COLUMN effective_verdicts.checklist_hash IS 'Hash of that version; joins item_results and checklist_items.';
COMMENT ON COLUMN effective_verdicts.item_id IS 'Checklist item.';
COMMENT ON COLUMN effective_verdicts.position IS 'Order of the item in the checklist, from 0.';
COMMENT ON COLUMN effective_verdicts.weight IS 'Weight of the item in the call score.';
COMMENT ON COLUMN effective_verdicts.reason IS 'The machine''s one line explaining its verdict.';
COMMENT ON COLUMN effective_verdicts.evidence IS 'The machine''s quotes: list of {speaker, start_s, end_s, text}.';
COMMENT ON COLUMN effective_verdicts.verdict IS 'The effective verdict: the newest review''s, else the machine''s.';
COMMENT ON COLUMN effective_verdicts.machine_verdict IS 'The machine''s verdict.';
COMMENT ON COLUMN effective_verdicts.critical IS 'The effective verdict flags the call (a critical item failed, or a critical forbidden phrase was said and no reviewer lifted it).';
COMMENT ON COLUMN effective_verdicts.reviewer IS 'The QA lead of the newest review; NULL when no one reviewed the item.';
COMMENT ON COLUMN effective_verdicts.review_note IS 'Why, in the reviewer''s words.';
COMMENT ON COLUMN effective_verdicts.reviewed_at IS 'When the newest review was made (UTC).';
COMMENT ON COLUMN review_agreement.checklist_id IS 'Checklist.';
COMMENT ON COLUMN review_agreement.item_id IS 'Checklist item.';
COMMENT ON COLUMN review_agreement.position IS 'Order of the item in the checklist.';
COMMENT ON COLUMN review_agreement.reviewed IS 'Items a QA lead judged.';
COMMENT ON COLUMN review_agreement.agreed IS 'Of those, the machine''s verdict was the reviewer''s.';
COMMENT ON COLUMN review_agreement.agreement IS 'agreed / reviewed in percent.';
COMMENT ON COLUMN reviewer_agreement.reviewer_a IS 'One QA lead (the first in alphabetical order).';
COMMENT ON COLUMN reviewer_agreement.reviewer_b IS 'The other.';
COMMENT ON COLUMN reviewer_agreement.items IS 'Call items both judged.';
COMMENT ON COLUMN reviewer_agreement.agreed IS 'Items they judged alike.';
COMMENT ON COLUMN reviewer_agreement.agreement IS 'agreed / items in percent.';
COMMENT ON VIEW promises IS 'The promises ledger with its follow-through: one row per commitment an agent made, with status kept, due_today, open, overdue or past_due as of now.';
COMMENT ON TABLE commitments IS 'Each commitment an agent made in a call (callback, send, delivery, price_hold, visit), extracted from the stored transcript by the scoring pass.';
COMMENT ON COLUMN calls.promises_hash IS 'Which version of the promise rules (checklists/ledger/promises.yaml) read this call; the scoring pass re-reads calls of older versions.';
COMMENT ON COLUMN promises.call_id IS 'calls.call_id of the call the promise was made in.';
COMMENT ON COLUMN promises.idx IS 'Order of the promise in that call, from 0.';
COMMENT ON COLUMN promises.manager_id IS 'Manager who promised, or ''unassigned''.';
COMMENT ON COLUMN promises.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN promises.customer_phone IS 'The customer''s number (masked in published copies).';
COMMENT ON COLUMN promises.promised_at IS 'When the call started, PBX local time.';
COMMENT ON COLUMN promises.kind IS 'callback, send, delivery, price_hold or visit.';
COMMENT ON COLUMN promises.quote IS 'The agent''s words.';
COMMENT ON COLUMN promises.start_s IS 'Seconds into the call.';
COMMENT ON COLUMN promises.due_at IS 'The latest moment that keeps the promise, PBX local time; NULL when vague.';
COMMENT ON COLUMN promises.due_text IS 'The words the due moment was read from.';
COMMENT ON COLUMN promises.vague IS 'No concrete moment was named («на днях», soon): flagged.';
COMMENT ON COLUMN promises.absolute IS 'The agent guaranteed it («гарантирую», 100 %): flagged.';
COMMENT ON COLUMN promises.kept_by IS 'The later call to the same customer by the same manager that kept a callback.';
COMMENT ON COLUMN promises.kept_at IS 'When that call started.';
COMMENT ON COLUMN promises.status IS 'kept, due_today, open, overdue (a callback not kept in time) or past_due (another kind, past its moment; calls cannot tell whether it was kept).';
COMMENT ON COLUMN commitments.call_id IS 'calls.call_id';
COMMENT ON COLUMN commitments.idx IS 'Order of the promise in the call, from 0.';
COMMENT ON COLUMN commitments.manager_id IS 'The call''s manager id (as the PBX gave it).';
COMMENT ON COLUMN commitments.customer_phone IS 'The call''s customer number (masked in published copies).';
COMMENT ON COLUMN commitments.kind IS 'callback, send, delivery, price_hold or visit.';
COMMENT ON COLUMN commitments.quote IS 'The agent''s turn holding the promise.';
COMMENT ON COLUMN commitments.start_s IS 'Seconds into the call.';
COMMENT ON COLUMN commitments.end_s IS 'End of the turn, seconds into the call.';
COMMENT ON COLUMN commitments.due_at IS 'The latest moment that keeps it (PBX local time, read by dateparser against the call''s start and widened to the named day, week or month); NULL when vague.';
COMMENT ON COLUMN commitments.due_text IS 'The words the due moment was read from.';
COMMENT ON COLUMN commitments.vague IS 'No concrete moment named: flagged.';
COMMENT ON COLUMN commitments.absolute IS 'A guarantee («гарантирую», 100 %): flagged.';
COMMENT ON COLUMN commitments.rules_hash IS 'Hash of checklists/ledger/promises.yaml that extracted it.';
COMMENT ON COLUMN commitments.extracted_at IS 'When (UTC).';
COMMENT ON VIEW first_failures IS 'Per call: the first failed item of its latest verdicts, with the reason and the first quote.';
COMMENT ON COLUMN first_failures.call_id IS 'calls.call_id';
COMMENT ON COLUMN first_failures.checklist_id IS 'Checklist of the item.';
COMMENT ON COLUMN first_failures.item_id IS 'The first failed item, in checklist order.';
COMMENT ON COLUMN first_failures.reason IS 'Why it failed, in the machine''s words.';
COMMENT ON COLUMN first_failures.quote IS 'Its first evidence quote; NULL when the failure has none (something missing).';
COMMENT ON COLUMN first_failures.quote_s IS 'Seconds into the call of that quote.';
COMMENT ON COLUMN first_failures.seg_idx IS 'The transcript segment quoted.';
COMMENT ON COLUMN manager_weekly.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN manager_weekly.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN manager_weekly.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN manager_weekly.period_start IS 'First day of the period: the Monday of the week, the first of the month.';
COMMENT ON COLUMN manager_weekly.calls IS 'Calls in the period, processed or failed.';
COMMENT ON COLUMN manager_weekly.failed IS 'Calls that could not be processed.';
COMMENT ON COLUMN manager_weekly.scored IS 'Calls with a score.';
COMMENT ON COLUMN manager_weekly.avg_score IS 'Average score of the scored calls, one decimal (half away from zero); NULL if none.';
COMMENT ON COLUMN manager_weekly.critical_failures IS 'Calls with a critical failure.';
COMMENT ON COLUMN manager_weekly.audio_minutes IS 'Minutes of audio, one decimal.';
COMMENT ON COLUMN manager_monthly.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN manager_monthly.name IS 'Manager''s display name, or ''unassigned''.';
COMMENT ON COLUMN manager_monthly.team IS 'Manager''s team; empty when unknown.';
COMMENT ON COLUMN manager_monthly.period_start IS 'First day of the period: the Monday of the week, the first of the month.';
COMMENT ON COLUMN manager_monthly.calls IS 'Calls in the period, processed or failed.';
COMMENT ON COLUMN manager_monthly.failed IS 'Calls that could not be processed.';
COMMENT ON COLUMN manager_monthly.scored IS 'Calls with a score.';
COMMENT ON COLUMN manager_monthly.avg_score IS 'Average score of the scored calls, one decimal (half away from zero); NULL if none.';
COMMENT ON COLUMN manager_monthly.critical_failures IS 'Calls with a critical failure.';
COMMENT ON COLUMN manager_monthly.audio_minutes IS 'Minutes of audio, one decimal.';
COMMENT ON COLUMN evidence.call_id IS 'calls.call_id';
COMMENT ON COLUMN evidence.manager_id IS 'Manager, or ''unassigned''.';
COMMENT ON COLUMN evidence.day IS 'Day of the call (see latest_scores.day).';
COMMENT ON COLUMN evidence.item_id IS 'Checklist item the quote is evidence for.';
COMMENT ON COLUMN evidence.verdict IS 'pass, fail or na: the effective verdict the quote supports.';
COMMENT ON COLUMN evidence.speaker IS 'agent, customer or unknown.';
COMMENT ON COLUMN evidence.start_s IS 'Start of the quote, seconds from the beginning of the call.';
COMMENT ON COLUMN evidence.end_s IS 'End of the quote, seconds from the beginning of the call.';
COMMENT ON COLUMN evidence.quote IS 'The words quoted.';
COMMENT ON COLUMN evidence.page IS 'The call''s page, relative to the report folder (calls/<id>.html).';
COMMENT ON TABLE segment_terms IS 'The full-text index behind search(q): each segment''s words by their stem (fts_stem), written with the transcript.';
COMMENT ON COLUMN segment_terms.call_id IS 'segments.call_id';
COMMENT ON COLUMN segment_terms.idx IS 'segments.idx';
COMMENT ON COLUMN segment_terms.term IS 'A stem: fts_stem of a word of fts_words(segments.text).';
COMMENT ON COLUMN segment_terms.tf IS 'How often the stem occurs in the segment.';
