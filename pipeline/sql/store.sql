-- Statements pipeline/store.py runs. Each block is one statement, named by its "-- name:" line.

-- name: known_calls
SELECT sha256, status FROM calls;

-- name: upsert_manager
INSERT INTO managers (manager_id, name, team) VALUES ($manager_id, $name, $team)
ON CONFLICT (manager_id) DO UPDATE SET name = excluded.name, team = excluded.team;

-- name: register_checklist_item
INSERT INTO checklist_items (checklist_hash, checklist_id, checklist_version, item_id, position, title,
                             guidance, weight, critical, registered_at)
VALUES ($checklist_hash, $checklist_id, $checklist_version, $item_id, $position, $title, $guidance, $weight,
        $critical, $registered_at)
ON CONFLICT DO NOTHING;

-- name: start_run
INSERT INTO runs (run_id, started_at, inbox, engine, model, checklist_id, checklist_version, warnings)
VALUES ($run_id, $started_at, $inbox, $engine, $model, $checklist_id, $checklist_version, $warnings)
ON CONFLICT (run_id) DO UPDATE SET
    started_at = excluded.started_at, inbox = excluded.inbox, engine = excluded.engine,
    model = excluded.model, checklist_id = excluded.checklist_id,
    checklist_version = excluded.checklist_version, warnings = excluded.warnings;

-- name: finish_run
UPDATE runs SET finished_at = $finished_at, found = $found, skipped = $skipped, ok = $ok,
    failed = $failed, scored = $scored, audio_seconds = $audio_seconds, report_path = $report_path, error = $error,
    transcription_s = $transcription_s, storage_s = $storage_s, scoring_s = $scoring_s
WHERE run_id = $run_id;

-- name: run_output_times
UPDATE runs SET publish_s = $publish_s, reports_s = $reports_s WHERE run_id = $run_id;

-- name: calls_matching
-- The stored calls a new write could collide with: same call_id or same bytes.
SELECT call_id, sha256, status FROM calls WHERE call_id = $call_id OR sha256 = $sha256;

-- name: delete_call
DELETE FROM calls WHERE call_id = $call_id;

-- name: delete_segments
DELETE FROM segments WHERE call_id = $call_id;

-- name: delete_segment_terms
DELETE FROM segment_terms WHERE call_id = $call_id;

-- name: delete_item_results
DELETE FROM item_results WHERE list_contains($ids, call_id) AND checklist_hash = $checklist_hash;

-- name: delete_call_scores
DELETE FROM call_scores WHERE list_contains($ids, call_id) AND checklist_hash = $checklist_hash;

-- name: insert_call
INSERT INTO calls (call_id, sha256, path, file_name, size_bytes, manager_id, started_at, direction,
                   customer_phone, queue, checklist, status, error, warnings, duration_s, channels,
                   language, engine, model, transcribe_s, decode_s, vad_s, asr_s, voices_s,
                   transcript_settings, roles_confidence, run_id, processed_at)
VALUES ($call_id, $sha256, $path, $file_name, $size_bytes, $manager_id, $started_at, $direction,
        $customer_phone, $queue, $checklist, $status, $error, $warnings, $duration_s, $channels,
        $language, $engine, $model, $transcribe_s, $decode_s, $vad_s, $asr_s, $voices_s,
        $transcript_settings, $roles_confidence, $run_id, $processed_at);

-- name: insert_segments
-- The whole transcript in one statement: $segments is a list of structs.
INSERT INTO segments (call_id, idx, speaker, start_s, end_s, text, avg_logprob)
SELECT $call_id, s.idx, s.speaker, s.start_s, s.end_s, s.text, s.avg_logprob
FROM (SELECT unnest($segments::STRUCT(idx INTEGER, speaker VARCHAR, start_s DOUBLE, end_s DOUBLE,
                                      text VARCHAR, avg_logprob DOUBLE)[]) AS s);

-- name: index_segments
-- The call's words for full-text search (migration 0009 has the stemmer).
INSERT INTO segment_terms
SELECT call_id, idx, term, count(*)::INTEGER
FROM (SELECT call_id, idx, fts_stem(unnest(fts_words(text))) AS term FROM segments WHERE call_id = $call_id)
GROUP BY ALL;

-- name: insert_item_results
-- Every verdict of a batch of scores in one statement: $items is a list of structs.
INSERT INTO item_results (call_id, checklist_id, checklist_version, checklist_hash, item_id, position,
                          verdict, weight, reason, evidence, critical, scored_at)
SELECT i.call_id, i.checklist_id, i.checklist_version, i.checklist_hash, i.item_id, i.position,
       i.verdict, i.weight, i.reason, i.evidence, i.critical, $scored_at
FROM (SELECT unnest($items::STRUCT(call_id VARCHAR, checklist_id VARCHAR, checklist_version VARCHAR,
                                   checklist_hash VARCHAR, item_id VARCHAR, position INTEGER,
                                   verdict VARCHAR, weight DOUBLE, reason VARCHAR, critical BOOLEAN,
                                   evidence STRUCT(speaker VARCHAR, start_s DOUBLE, end_s DOUBLE, text VARCHAR)[])[]) AS i);

-- name: insert_call_scores
INSERT INTO call_scores (call_id, checklist_id, checklist_version, checklist_hash, score,
                         critical_failure, n_pass, n_fail, n_na, scored_at)
SELECT s.call_id, s.checklist_id, s.checklist_version, s.checklist_hash, s.score,
       s.critical_failure, s.n_pass, s.n_fail, s.n_na, $scored_at
FROM (SELECT unnest($scores::STRUCT(call_id VARCHAR, checklist_id VARCHAR, checklist_version VARCHAR,
                                    checklist_hash VARCHAR, score DOUBLE, critical_failure BOOLEAN,
                                    n_pass INTEGER, n_fail INTEGER, n_na INTEGER)[]) AS s);

-- name: clear_score_errors
UPDATE calls SET score_error = NULL WHERE list_contains($ids, call_id) AND score_error IS NOT NULL;

-- name: set_score_error
UPDATE calls SET score_error = $error WHERE call_id = $call_id;

-- name: scoring_candidates
-- The scoring pass's work list: stored transcripts (optionally of a period, by the call's day),
-- what routes each to its checklist, and the checklist versions (hashes) already scored.
SELECT c.call_id, c.direction, c.manager_id, m.team, c.queue, c.checklist,
       CAST(coalesce(c.started_at, c.processed_at) AS DATE) AS day,
       coalesce((SELECT list(s.checklist_hash) FROM call_scores s WHERE s.call_id = c.call_id), [])
           AS scored_hashes
FROM calls c
LEFT JOIN managers m ON m.manager_id = c.manager_id
WHERE c.status = 'ok'
  AND ($since IS NULL OR CAST(coalesce(c.started_at, c.processed_at) AS DATE) >= $since)
  AND ($until IS NULL OR CAST(coalesce(c.started_at, c.processed_at) AS DATE) <= $until)
ORDER BY c.call_id;

-- name: transcript_calls
SELECT call_id, language, duration_s FROM calls WHERE list_contains($ids, call_id);

-- name: transcript_segments
SELECT call_id, speaker, start_s, end_s, text, avg_logprob
FROM segments WHERE list_contains($ids, call_id) ORDER BY call_id, idx;

-- name: delete_metrics
DELETE FROM call_metrics WHERE call_id = $call_id;

-- name: insert_metrics
INSERT INTO call_metrics (call_id, duration_s, talk_s, silence_share, longest_silence_s, agent_talk_s,
                          customer_talk_s, talk_listen_ratio, agent_longest_monologue_s,
                          agent_interruptions, customer_interruptions, agent_wpm, customer_wpm)
VALUES ($call_id, $duration_s, $talk_s, $silence_share, $longest_silence_s, $agent_talk_s,
        $customer_talk_s, $talk_listen_ratio, $agent_longest_monologue_s,
        $agent_interruptions, $customer_interruptions, $agent_wpm, $customer_wpm);

-- name: calls_without_metrics
-- Transcribed calls stored before metrics existed (migration 0003).
SELECT c.call_id FROM calls c
WHERE c.status = 'ok' AND c.call_id NOT IN (SELECT call_id FROM call_metrics)
  AND c.call_id IN (SELECT DISTINCT call_id FROM segments)
ORDER BY c.call_id;

-- name: file_identities
SELECT path, size, mtime_ns, sha256 FROM file_identity;

-- name: remember_file
INSERT INTO file_identity (path, size, mtime_ns, sha256) VALUES ($path, $size, $mtime_ns, $sha256)
ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256;

-- name: review_targets
-- The items a review of this call may name, with the verdicts that stand now.
SELECT checklist_id, item_id, machine_verdict, verdict FROM effective_verdicts
WHERE call_id = $call_id ORDER BY checklist_id, position;

-- name: call_status
SELECT status, coalesce(error, score_error) AS error FROM calls WHERE call_id = $call_id;

-- name: insert_reviews
-- A review already stored (queued, stored, then queued again after a crash) is kept once.
INSERT INTO reviews (review_id, call_id, checklist_id, item_id, verdict, machine_verdict, reviewer, note, reviewed_at)
SELECT r.review_id, r.call_id, r.checklist_id, r.item_id, r.verdict, r.machine_verdict, r.reviewer, r.note, r.reviewed_at
FROM (SELECT unnest($reviews::STRUCT(review_id VARCHAR, call_id VARCHAR, checklist_id VARCHAR, item_id VARCHAR,
                                     verdict VARCHAR, machine_verdict VARCHAR, reviewer VARCHAR, note VARCHAR,
                                     reviewed_at TIMESTAMP)[]) AS r)
ON CONFLICT (review_id) DO NOTHING;

-- name: current_reviews
-- The reviews that stand, for the learned layer's lessons (pipeline/lessons.py).
SELECT call_id, item_id, verdict, reviewer, note, checklist_id, machine_verdict, review_id, reviewed_at
FROM current_reviews ORDER BY reviewed_at, review_id;

-- name: review_history
SELECT review_id, checklist_id, item_id, verdict, machine_verdict, reviewer, note, reviewed_at
FROM reviews WHERE call_id = $call_id ORDER BY reviewed_at, review_id;

-- name: calls_without_promises
-- Transcribed calls the current promise rules have not read yet.
SELECT call_id FROM calls
WHERE status = 'ok' AND promises_hash IS DISTINCT FROM $rules_hash
ORDER BY call_id LIMIT $batch;

-- name: promise_calls
SELECT call_id, started_at FROM calls WHERE list_contains($ids, call_id);

-- name: delete_commitments
DELETE FROM commitments WHERE list_contains($ids, call_id);

-- name: insert_commitments
-- Manager and customer phone are the call's, copied so the ledger reads on its own.
INSERT INTO commitments (call_id, idx, manager_id, customer_phone, kind, quote, start_s, end_s, due_at,
                         due_text, vague, absolute, rules_hash, extracted_at)
SELECT k.call_id, k.idx, c.manager_id, c.customer_phone, k.kind, k.quote, k.start_s, k.end_s, k.due_at,
       k.due_text, k.vague, k.absolute, $rules_hash, $extracted_at
FROM (SELECT unnest($rows::STRUCT(call_id VARCHAR, idx INTEGER, kind VARCHAR, quote VARCHAR, start_s DOUBLE,
                                  end_s DOUBLE, due_at TIMESTAMP, due_text VARCHAR, vague BOOLEAN,
                                  absolute BOOLEAN)[]) AS k)
JOIN calls c ON c.call_id = k.call_id;

-- name: mark_promises_read
UPDATE calls SET promises_hash = $rules_hash WHERE list_contains($ids, call_id);
