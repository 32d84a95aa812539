-- Queries behind the HTML reports (pipeline/report.py). Each block is one statement, named by
-- its "-- name:" line; they read the views of schema.sql, so 'unassigned' and "latest score"
-- mean the same here as in anyone's ad-hoc SQL.

-- name: report_totals
SELECT count(*) AS calls,
       count(*) FILTER (WHERE status = 'ok') AS ok,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       coalesce(round(sum(duration_s) / 60, 1), 0) AS audio_minutes,
       round(avg(score), 1) AS avg_score,
       count(*) FILTER (WHERE flagged) AS flagged,
       min(day) AS first_day,
       max(day) AS last_day
FROM latest_scores;

-- name: report_last_run
SELECT run_id, started_at, finished_at, found, skipped, ok, failed, engine, model, error, warnings
FROM runs ORDER BY started_at DESC LIMIT 1;

-- name: report_managers
SELECT manager_id, name, team,
       count(*) AS calls,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(score) AS scored,
       round(avg(score), 1) AS avg_score,
       count(*) FILTER (WHERE critical_failure) AS critical_failures,
       count(*) FILTER (WHERE flagged) AS flagged
FROM latest_scores
GROUP BY manager_id, name, team
ORDER BY manager_id = 'unassigned', name, manager_id;

-- Periods end on the last day with calls (the night's work the morning after), not on the
-- clock: a report of old calls still shows its last day, week and month.

-- name: report_periods
WITH last AS (SELECT max(day) AS d FROM latest_scores),
periods AS (SELECT * FROM (VALUES ('Last day', 1, 0), ('7 days', 7, 1), ('30 days', 30, 2)) p(label, days, pos))
SELECT p.label, p.days, last.d - (p.days - 1) AS first_day, last.d AS last_day,
       count(l.call_id) AS calls, count(l.score) AS scored, round(avg(l.score), 1) AS avg_score,
       count(*) FILTER (WHERE l.flagged) AS flagged, count(*) FILTER (WHERE l.critical_failure) AS critical,
       round(coalesce(sum(l.duration_s), 0) / 60, 1) AS audio_minutes
FROM periods p CROSS JOIN last
LEFT JOIN latest_scores l ON l.day BETWEEN last.d - (p.days - 1) AND last.d
GROUP BY p.label, p.days, p.pos, last.d
ORDER BY p.pos;

-- name: report_distribution
-- Scores of the last 30 days in bands of ten (90 holds 90 to 100).
WITH last AS (SELECT max(day) AS d FROM latest_scores),
scored AS (SELECT least(floor(score / 10), 9)::INTEGER * 10 AS band FROM latest_scores, last
           WHERE score IS NOT NULL AND day > last.d - 30)
SELECT b.band, count(scored.band) AS calls
FROM (SELECT unnest(range(0, 100, 10))::INTEGER AS band) b LEFT JOIN scored USING (band)
GROUP BY b.band ORDER BY b.band;

-- name: report_weekly
-- Each manager's average score per week, the last eight weeks: the sparklines.
WITH last AS (SELECT max(day) AS d FROM latest_scores)
SELECT manager_id, CAST(date_trunc('week', day) AS DATE) AS week, round(avg(score), 1) AS avg_score, count(*) AS calls
FROM latest_scores, last
WHERE score IS NOT NULL AND day > last.d - 56
GROUP BY manager_id, week ORDER BY manager_id, week;

-- name: report_heatmap
-- Pass rates per manager and item over the last 30 days.
WITH last AS (SELECT max(day) AS d FROM latest_scores)
SELECT manager_id, name, checklist_id, item_id, min(position) AS position,
       count(*) FILTER (WHERE verdict <> 'na') AS applicable,
       pass_rate(count(*) FILTER (WHERE verdict = 'pass'), count(*) FILTER (WHERE verdict <> 'na')) AS pass_rate
FROM latest_verdicts, last
WHERE day > last.d - 30
GROUP BY manager_id, name, checklist_id, item_id
ORDER BY manager_id = 'unassigned', name, manager_id, checklist_id, position;

-- name: report_items
SELECT checklist_id, item_id, applicable, passes, fails, na, pass_rate
FROM item_pass_rates ORDER BY checklist_id, position, item_id;

-- name: report_agreement
-- Where QA leads judged items: how often the machine's verdict stood.
SELECT checklist_id, item_id, reviewed, agreed, agreement
FROM review_agreement ORDER BY checklist_id, position, item_id;

-- name: report_calibration
SELECT reviewer_a, reviewer_b, items AS both_judged, agreed, agreement
FROM reviewer_agreement ORDER BY reviewer_a, reviewer_b;

-- name: report_promises
-- Promises due today and overdue, across the team: the morning's follow-up list.
SELECT manager_id, name, call_id, kind, quote, start_s, due_at, due_text, status, vague, absolute
FROM promises
WHERE status IN ('due_today', 'overdue')
ORDER BY status = 'overdue' DESC, due_at NULLS FIRST, name, call_id, idx
LIMIT 200;

-- name: review_queue
-- What QA leads should listen to: every flagged call, and a random sample of each manager's
-- calls per week ($sample of them, drawn by md5 of the call id and $seed: the same seed draws
-- the same calls on any machine), the calls whose verdicts the machine is least sure of first.
-- Doubt (0..1) comes from what is stored: a verdict resting on the learned layer near its
-- threshold ("classifier 0.55"), evidence the recogniser heard poorly (avg_logprob), a mono
-- call whose roles were split with little certainty. A call a reviewer has judged leaves.
WITH heard AS (
    SELECT e.call_id, e.item_id, min(s.avg_logprob) AS worst_logprob
    FROM evidence_quotes e JOIN segments s ON s.call_id = e.call_id AND s.idx = e.seg_idx
    GROUP BY e.call_id, e.item_id
),
item_doubt AS (
    SELECT v.call_id, v.item_id,
           greatest(coalesce(1 - 2 * abs(TRY_CAST(regexp_extract(v.reason, 'classifier ([0-9.]+)', 1) AS DOUBLE) - 0.5), 0),
                    coalesce(least(greatest(-h.worst_logprob - 0.5, 0), 1), 0)) AS doubt
    FROM latest_verdicts v
    LEFT JOIN heard h ON h.call_id = v.call_id AND h.item_id = v.item_id
),
call_doubt AS (
    SELECT d.call_id, max(d.doubt) AS item_doubt, arg_max(d.item_id, d.doubt) AS doubtful_item
    FROM item_doubt d GROUP BY d.call_id
),
candidates AS (
    SELECT l.call_id, l.manager_id, l.name, l.started_at, l.day, l.score, l.flagged, l.critical_failure,
           l.checklist_id,
           greatest(coalesce(cd.item_doubt, 0), CASE WHEN c.roles_confidence IS NOT NULL THEN 1 - c.roles_confidence ELSE 0 END)
               AS doubt,
           CASE WHEN c.roles_confidence IS NOT NULL AND 1 - c.roles_confidence > coalesce(cd.item_doubt, 0)
                THEN 'roles' ELSE cd.doubtful_item END AS doubt_on,
           row_number() OVER (PARTITION BY l.manager_id, date_trunc('week', l.day)
                              ORDER BY md5(l.call_id || ':' || $seed)) AS draw
    FROM latest_scores l
    JOIN calls c ON c.call_id = l.call_id
    LEFT JOIN call_doubt cd ON cd.call_id = l.call_id
    WHERE l.status = 'ok' AND l.checklist_id IS NOT NULL AND l.reviewed_items = 0
)
SELECT candidates.call_id, manager_id, name, started_at, score, critical_failure, candidates.checklist_id,
       f.item_id AS failed_item, f.quote, f.quote_s,
       round(doubt, 2) AS doubt, CASE WHEN doubt > 0 THEN doubt_on END AS doubt_on, flagged, draw <= $sample AS sampled,
       CASE WHEN flagged THEN 'flagged' ELSE 'sample' END AS why
FROM candidates
LEFT JOIN first_failures f ON f.call_id = candidates.call_id
WHERE flagged OR draw <= $sample
ORDER BY doubt DESC, flagged DESC, started_at DESC NULLS LAST, candidates.call_id
LIMIT 500;

-- name: report_flagged
-- Calls to review first: critical failures, then the lowest scores, newest days first, each with
-- its first failure's quote.
SELECT l.call_id, l.manager_id, l.name, l.started_at, l.score, l.critical_failure, l.checklist_id,
       (SELECT list(r.item_id ORDER BY r.position) FROM effective_verdicts r
        WHERE r.call_id = l.call_id AND r.checklist_hash = l.checklist_hash AND r.verdict = 'fail')
           AS failed_items,
       f.quote, f.quote_s, f.seg_idx
FROM latest_scores l
LEFT JOIN first_failures f ON f.call_id = l.call_id
WHERE l.flagged
ORDER BY l.day DESC, l.critical_failure DESC, l.score, l.call_id, l.checklist_id
LIMIT 200;

-- name: report_failed
SELECT f.call_id, f.manager_id, f.name, f.started_at, mask_phone_in(f.file_name, c.customer_phone) AS file_name,
       f.error, f.transcribed, f.processed_at
FROM failed_calls f JOIN calls c USING (call_id)
ORDER BY f.processed_at DESC, f.file_name
LIMIT 200;

-- name: manager_items
-- manager_items, manager_failures and item_examples are read once for all the manager pages
-- (report.py groups them): a query per manager would rescan the verdict views fifty times.
-- Each manager's pass rate per item beside the whole team's.
SELECT m.manager_id, m.checklist_id, m.item_id, m.applicable, m.passes, m.fails, m.pass_rate,
       t.pass_rate AS team_pass_rate,
       round(m.pass_rate - t.pass_rate, 1) AS delta
FROM manager_item_pass_rates m
JOIN item_pass_rates t ON t.checklist_id = m.checklist_id AND t.item_id = m.item_id
ORDER BY m.manager_id, m.checklist_id, m.position, m.item_id;

-- name: manager_promises
-- The manager's promises to act on: due today, overdue or past due, and the vague or absolute
-- ones of the last 30 days.
SELECT call_id, kind, quote, start_s, promised_at, due_at, due_text, status, vague, absolute, kept_by
FROM promises
WHERE manager_id = $manager_id
  AND (status IN ('due_today', 'overdue', 'past_due')
       OR ((vague OR absolute) AND promised_at >= localtimestamp - INTERVAL 30 DAY))
ORDER BY status = 'overdue' DESC, status = 'due_today' DESC, due_at NULLS FIRST, call_id, idx
LIMIT 200;

-- name: manager_best_worst
-- The manager's best and worst scored call of the 30 days ending on the last day with calls.
WITH last AS (SELECT max(day) AS d FROM latest_scores),
mine AS (SELECT l.* FROM latest_scores l, last WHERE l.manager_id = $manager_id AND l.score IS NOT NULL
         AND l.day > last.d - 30)
SELECT 'best' AS which, * FROM (SELECT call_id, started_at, score FROM mine ORDER BY score DESC, started_at DESC, call_id LIMIT 1)
UNION ALL
SELECT 'worst', * FROM (SELECT call_id, started_at, score FROM mine ORDER BY score, started_at DESC, call_id LIMIT 1);

-- name: manager_trend
SELECT day, calls, scored, avg_score, critical_failures
FROM manager_daily WHERE manager_id = $manager_id
ORDER BY day DESC LIMIT 14;

-- name: manager_calls
SELECT l.call_id, l.started_at, l.duration_s, l.status, l.score, l.critical_failure, l.checklist_id,
       coalesce((SELECT map(list(r.item_id), list(r.verdict)) FROM effective_verdicts r
                 WHERE r.call_id = l.call_id AND r.checklist_hash = l.checklist_hash), MAP {})
           AS verdicts
FROM latest_scores l
WHERE l.manager_id = $manager_id
ORDER BY l.started_at DESC NULLS LAST, l.call_id, l.checklist_id
LIMIT 200;

-- name: manager_failures
-- Each manager's latest few failures per item, with the quotes that show what went wrong.
SELECT manager_id, checklist_id, item_id, call_id, started_at, reason, quotes
FROM latest_verdicts
WHERE verdict = 'fail'
QUALIFY row_number() OVER (PARTITION BY manager_id, checklist_id, item_id ORDER BY started_at DESC NULLS LAST, call_id) <= 5
ORDER BY manager_id, checklist_id, position, item_id, started_at DESC NULLS LAST, call_id;

-- name: item_examples
-- Good examples for coaching: each manager's two best passes per item, quoted, from their best
-- calls (never one with a critical failure); a manager's page shows two of colleagues'.
SELECT manager_id, name, checklist_id, item_id, call_id, score, quotes
FROM latest_verdicts
WHERE verdict = 'pass' AND len(quotes) > 0 AND NOT critical_failure
QUALIFY row_number() OVER (PARTITION BY manager_id, checklist_id, item_id
                           ORDER BY score DESC NULLS LAST, started_at DESC NULLS LAST, call_id) <= 2
ORDER BY checklist_id, item_id, score DESC NULLS LAST, started_at DESC NULLS LAST, call_id;

-- The call pages read these four side by side, one call at a time: all three are sorted by
-- call_id (call_items, call_segments, call_reviews after call_details). A page shows the checklist that scored the call last (a call moved to another
-- checklist keeps its old results in SQL).

-- name: call_details
SELECT c.call_id, l.manager_id, l.name, l.team, c.manager_id AS pbx_manager_id, c.started_at,
       c.direction, c.status, c.error, c.warnings, mask_phone_in(c.file_name, c.customer_phone) AS file_name,
       mask_phone_in(c.path, c.customer_phone) AS path, c.path AS recording, c.duration_s, c.channels,
       c.language, c.engine, c.model, round(c.transcribe_s, 1) AS transcribe_s, c.run_id, c.processed_at,
       c.roles_confidence,
       -- Personal data: the report shows only the last digits of the customer's number.
       masked_phone(c.customer_phone) AS customer_phone,
       l.score, l.critical_failure, l.n_pass, l.n_fail, l.n_na, l.checklist_id, l.checklist_version,
       x.agent_talk_s, x.customer_talk_s, x.talk_listen_ratio, x.agent_longest_monologue_s,
       x.silence_share, x.longest_silence_s, x.agent_interruptions, x.customer_interruptions,
       x.agent_wpm, x.customer_wpm
FROM calls c
JOIN latest_scores l ON l.call_id = c.call_id
LEFT JOIN call_metrics x ON x.call_id = c.call_id
QUALIFY row_number() OVER (PARTITION BY c.call_id ORDER BY l.scored_at DESC NULLS LAST, l.checklist_id) = 1
ORDER BY c.call_id;

-- name: call_items
SELECT call_id, checklist_id, item_id, verdict, weight, reason, quotes,
       machine_verdict, reviewer, review_note, reviewed_at
FROM latest_verdicts ORDER BY call_id, checklist_id, position, item_id;

-- name: call_reviews
-- Every review of every call, oldest first: the history on each call page.
SELECT call_id, checklist_id, item_id, verdict, machine_verdict, reviewer, note, reviewed_at
FROM reviews ORDER BY call_id, reviewed_at, review_id;

-- name: call_segments
SELECT call_id, idx, speaker, start_s, end_s, text
FROM segments ORDER BY call_id, idx;

-- name: item_texts
-- Titles and guidance from the newest registered version of each checklist's items.
SELECT checklist_id, item_id, arg_max(title, registered_at) AS title,
       arg_max(guidance, registered_at) AS guidance
FROM checklist_items
GROUP BY checklist_id, item_id
ORDER BY checklist_id, item_id;  -- a fixed order: it goes into every page's digest

-- name: team_norms
SELECT * FROM team_metrics;

-- name: manager_norms
SELECT * FROM manager_metrics WHERE manager_id = $manager_id;
