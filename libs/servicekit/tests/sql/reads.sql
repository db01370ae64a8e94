-- The reads of test_reads' tables.

-- name: kept(id)^
SELECT id, label, seen_at, flag FROM reads_kept WHERE id = :id;

-- name: all_kept()
SELECT id, label, seen_at, flag FROM reads_kept ORDER BY id;

-- name: kept_count()$
SELECT COUNT(*) FROM reads_kept;

-- name: missing_table()
SELECT id FROM reads_not_there;
