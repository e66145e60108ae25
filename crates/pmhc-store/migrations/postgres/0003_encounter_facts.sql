-- The same version as the SQLite migration that adds `encounter_facts` (a narrow copy of each
-- encounter kept by triggers, for fast full scans by the outcome engine). PostgreSQL streams the
-- needed columns of `encounters` directly, so it needs no copy; this migration only keeps the two
-- dialects at the same version numbers.
SELECT 1;
