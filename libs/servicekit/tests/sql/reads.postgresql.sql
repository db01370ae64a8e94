-- name: backend()$
SELECT pg_backend_pid();

-- name: nap(seconds)$
SELECT pg_sleep(:seconds)::text;
