-- Copies for readers (pipeline/publish.py), run on a connection where the working database is
-- attached as `src` and the copy being written as `dst`.

-- name: copied_tables
-- The working database's tables, and whether each has a row per call (or per part of one).
SELECT t.table_name, bool_or(c.column_name = 'call_id') AS per_call
FROM duckdb_tables() t JOIN duckdb_columns() c USING (database_name, schema_name, table_name)
WHERE t.database_name = 'src' AND t.schema_name = 'main'
GROUP BY t.table_name ORDER BY t.table_name;

-- name: extract_managers
-- Every manager named in `managers` or on a call, with the number of their calls.
SELECT m.manager_id, count(c.call_id) AS calls
FROM (SELECT manager_id FROM managers UNION SELECT manager_id FROM calls WHERE manager_id IS NOT NULL) m
LEFT JOIN calls c USING (manager_id)
GROUP BY m.manager_id ORDER BY m.manager_id;

-- name: extract_team
-- A manager's extract: the whole team's figures beside the manager's own calls.
CREATE TABLE dst.main.team_periods AS
SELECT u.unit, CAST(date_trunc(u.unit, s.day) AS DATE) AS period_start,
       count(*) AS calls,
       count(*) FILTER (WHERE s.status = 'failed') AS failed,
       count(s.score) AS scored,
       round(avg(s.score), 1) AS avg_score,
       count(*) FILTER (WHERE s.critical_failure) AS critical_failures,
       round(sum(s.duration_s) / 60, 1) AS audio_minutes
FROM src.main.latest_scores s, (VALUES ('day'), ('week'), ('month')) u(unit)
GROUP BY ALL ORDER BY u.unit, period_start;
CREATE TABLE dst.main.team_item_pass_rates AS SELECT * FROM src.main.item_pass_rates;
CREATE TABLE dst.main.team_conversation AS SELECT * FROM src.main.team_metrics;
COMMENT ON TABLE dst.main.team_periods IS 'The whole team by day, week and month (unit): the columns of manager_daily over every manager''s calls.';
COMMENT ON TABLE dst.main.team_item_pass_rates IS 'item_pass_rates over every manager''s calls (the views of this file see only this manager''s).';
COMMENT ON TABLE dst.main.team_conversation IS 'team_metrics over every manager''s calls: the norms a call page compares with.';
