-- The read of test_faults_effects' notes app.

-- name: count_notes(code)$
SELECT COUNT(*) FROM fault_notes WHERE code = :code;
