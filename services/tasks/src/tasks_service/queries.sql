-- The reads of the tasks service, run by servicekit.queries.reads on the driver's connection
-- (asyncpg, psycopg, asyncmy, PyMySQL). The writes are SQLAlchemy's (repository.py).
-- Every query names the owner: someone else's task is never read. The columns are
-- TaskRead's, in its order. Indexes: ix_tasks_owner_id_id on (owner_id, id) for an
-- owner's tasks, ix_tasks_owner_id_done_id on (owner_id, done, id) for the done or the
-- open ones alone.

-- name: owned_task(task_id, owner)^
-- One task of its owner.
SELECT id, title, due_date, done, created_at, updated_at, done_at
  FROM tasks
 WHERE id = :task_id AND owner_id = :owner;

-- name: tasks_page(owner, limit)
-- An owner's tasks in id order, from the first.
SELECT id, title, due_date, done, created_at, updated_at, done_at
  FROM tasks
 WHERE owner_id = :owner
 ORDER BY id
 LIMIT :limit;

-- name: tasks_page_after(owner, after_id, limit)
-- An owner's tasks in id order, after the previous page's last.
SELECT id, title, due_date, done, created_at, updated_at, done_at
  FROM tasks
 WHERE owner_id = :owner AND id > :after_id
 ORDER BY id
 LIMIT :limit;

-- name: tasks_by_done(owner, done, limit)
-- An owner's done, or open, tasks in id order, from the first.
SELECT id, title, due_date, done, created_at, updated_at, done_at
  FROM tasks
 WHERE owner_id = :owner AND done = :done
 ORDER BY id
 LIMIT :limit;

-- name: tasks_by_done_after(owner, done, after_id, limit)
-- The same after the previous page's last.
SELECT id, title, due_date, done, created_at, updated_at, done_at
  FROM tasks
 WHERE owner_id = :owner AND done = :done AND id > :after_id
 ORDER BY id
 LIMIT :limit;

-- name: task_counts(owner)
-- An owner's tasks counted by done: the (owner_id, done, id) index alone answers it.
SELECT done, COUNT(*) AS tasks
  FROM tasks
 WHERE owner_id = :owner
 GROUP BY done;
