-- name: counted()$
SELECT COUNT(*)::int FROM things;
