-- The slow statement fault (servicekit.fault_effects), as each dialect sleeps.

-- name: sleep(seconds)$
SELECT pg_sleep(:seconds)::text;
