-- name: backend()$
SELECT CONNECTION_ID();

-- name: nap(seconds)$
SELECT SLEEP(:seconds);
