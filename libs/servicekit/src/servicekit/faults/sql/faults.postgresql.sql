-- The slow statement fault (servicekit.faults.effects), as each dialect sleeps.

-- name: sleep(seconds)$
SELECT pg_sleep(:seconds)::text;
