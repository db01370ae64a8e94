-- name: thing(id)^
-- One thing.
SELECT id, label FROM things WHERE id = :id;

-- name: things_after(after_id, after_label, limit)
SELECT id, label FROM things
 WHERE id > :after_id AND (id, label) > (:after_id, :after_label) LIMIT :limit;

-- name: counted()$
SELECT COUNT(*) FROM things;

-- name: labels(prefix)
SELECT label FROM things WHERE label LIKE :prefix;
