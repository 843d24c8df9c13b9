-- When an attempt whose outcome is unknown began: a 5xx or a timeout that may hide a message Discord
-- did create, or a crash mid-send. The first such attempt of a job; NULL when every attempt so far was
-- refused outright. Discord drops a repeated nonce only for a few minutes, so a retry later than that
-- looks for the first attempt's message (by the job's marker) before posting again.
ALTER TABLE scheduled_jobs ADD COLUMN unsure_since BIGINT;
