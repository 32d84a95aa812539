-- Migration 2: transcription and scoring become two passes over the stored transcripts.
-- calls.status now says whether the recording was transcribed; a checklist that cannot score
-- a stored transcript records why in calls.score_error and leaves the transcript in place.
ALTER TABLE calls ADD COLUMN IF NOT EXISTS queue VARCHAR;
ALTER TABLE calls ADD COLUMN IF NOT EXISTS checklist VARCHAR;
ALTER TABLE calls ADD COLUMN IF NOT EXISTS transcript_settings VARCHAR;
ALTER TABLE calls ADD COLUMN IF NOT EXISTS score_error VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS scored INTEGER;
-- Calls the old one-pass run failed only because the checklist could not score them: they
-- hold a transcript, so they are transcribed calls with a scoring error.
UPDATE calls SET status = 'ok', score_error = error, error = NULL
WHERE status = 'failed' AND error LIKE 'not scored: %'
  AND call_id IN (SELECT DISTINCT call_id FROM segments);
