-- The read of test_fault_effects' notes app.

-- name: count_notes(code)$
SELECT COUNT(*) FROM fault_notes WHERE code = :code;
