-- Postgres' drivers decode a JSON column themselves (MySQL's hand over its text): the
-- result is read as text here, so that the service parses it the same way on both.

-- name: owned_job(job_id, owner)^
SELECT id, kind, status, result::text AS result, error, created_at, finished_at
  FROM jobs
 WHERE id = :job_id AND owner_id = :owner;

-- name: jobs_page(owner, limit)
SELECT id, kind, status, result::text AS result, error, created_at, finished_at
  FROM jobs
 WHERE owner_id = :owner
 ORDER BY id DESC
 LIMIT :limit;

-- name: jobs_page_before(owner, before_id, limit)
SELECT id, kind, status, result::text AS result, error, created_at, finished_at
  FROM jobs
 WHERE owner_id = :owner AND id < :before_id
 ORDER BY id DESC
 LIMIT :limit;
