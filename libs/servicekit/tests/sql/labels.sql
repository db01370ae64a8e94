-- The reads of test_modes' labels app.

-- name: label(id)^
SELECT id, text FROM mode_labels WHERE id = :id;

-- name: labels()
SELECT id, text FROM mode_labels ORDER BY id;
