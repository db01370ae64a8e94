-- The reads of the items service, run by servicekit.queries.reads on the driver's connection
-- (asyncpg, psycopg, asyncmy, PyMySQL). The writes are SQLAlchemy's (repository.py).
-- The columns are ItemRead's; `views` is what the database holds (views.py adds those
-- Redis has not flushed yet). Indexes: the primary key; ix_items_owner_id_id on
-- (owner_id, id) for one owner's items; ix_items_title_key_id on (title_key, id) for a
-- title prefix (title_key: the title lower-cased, a LIKE pattern from servicekit.queries.search).

-- name: item(id)^
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 WHERE id = :id;

-- name: owner_of(id)$
-- Whose item this is, if it exists (the rule of every change).
SELECT owner_id
  FROM items
 WHERE id = :id;

-- name: owner_summary(owner_id)^
-- How many items an owner has and their stored views: one range of the owner index.
SELECT COUNT(*) AS items, COALESCE(SUM(views), 0) AS views
  FROM items
 WHERE owner_id = :owner_id;

-- name: items_page(limit)
-- Every item in id order, from the first.
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 ORDER BY id
 LIMIT :limit;

-- name: items_page_after(after_id, limit)
-- Every item in id order, after the previous page's last.
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 WHERE id > :after_id
 ORDER BY id
 LIMIT :limit;

-- name: owner_items(owner_id, limit)
-- One owner's items in id order, from the first.
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 WHERE owner_id = :owner_id
 ORDER BY id
 LIMIT :limit;

-- name: owner_items_after(owner_id, after_id, limit)
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 WHERE owner_id = :owner_id AND id > :after_id
 ORDER BY id
 LIMIT :limit;

-- name: owner_items_titled(owner_id, prefix, limit)
-- One owner's items whose title starts with a prefix, in id order: the owner index
-- still leads and the prefix filters that owner's rows (an owner has few items, while
-- a common prefix can match a large part of the table).
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 WHERE owner_id = :owner_id AND title_key LIKE :prefix ESCAPE '/'
 ORDER BY id
 LIMIT :limit;

-- name: owner_items_titled_after(owner_id, prefix, after_id, limit)
SELECT id, owner_id, title, description, views, created_at, updated_at
  FROM items
 WHERE owner_id = :owner_id AND title_key LIKE :prefix ESCAPE '/' AND id > :after_id
 ORDER BY id
 LIMIT :limit;

-- name: items_by_title(prefix, limit)
-- Items whose title starts with a prefix, in title order; title_key is for the next
-- page's cursor.
SELECT id, owner_id, title, description, views, created_at, updated_at, title_key
  FROM items
 WHERE title_key LIKE :prefix ESCAPE '/'
 ORDER BY title_key, id
 LIMIT :limit;

-- name: items_by_title_after(prefix, after_key, after_id, limit)
-- The same after the previous page's last (title_key, id). Both bounds on purpose:
-- Postgres starts the index scan at the row comparison; MariaDB cannot, but starts at
-- title_key >= after_key and filters the few rows of that one title. Either way a page
-- costs the same at any depth.
SELECT id, owner_id, title, description, views, created_at, updated_at, title_key
  FROM items
 WHERE title_key LIKE :prefix ESCAPE '/'
   AND title_key >= :after_key
   AND (title_key, id) > (:after_key, :after_id)
 ORDER BY title_key, id
 LIMIT :limit;
