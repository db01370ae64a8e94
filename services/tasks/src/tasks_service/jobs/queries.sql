-- The reads of jobs (see ../queries.sql for how they run). A job's columns are JobRead's;
-- its result, JSON, comes back as its text on both servers (queries.postgresql.sql),
-- which the service parses.

-- name: unfinished_jobs(owner)$
-- How many of an owner's jobs are queued or running: the quota's count, one range of
-- ix_jobs_owner_id_status. Run in the submission's transaction, after its lock.
SELECT COUNT(*)
  FROM jobs
 WHERE owner_id = :owner AND status IN ('queued', 'running');

-- name: owned_job(job_id, owner)^
-- One job of its owner.
SELECT id, kind, status, result, error, created_at, finished_at
  FROM jobs
 WHERE id = :job_id AND owner_id = :owner;

-- name: jobs_page(owner, limit)
-- An owner's jobs, newest first: ix_jobs_owner_id_id walked backwards.
SELECT id, kind, status, result, error, created_at, finished_at
  FROM jobs
 WHERE owner_id = :owner
 ORDER BY id DESC
 LIMIT :limit;

-- name: jobs_page_before(owner, before_id, limit)
-- The same before the previous page's last.
SELECT id, kind, status, result, error, created_at, finished_at
  FROM jobs
 WHERE owner_id = :owner AND id < :before_id
 ORDER BY id DESC
 LIMIT :limit;
