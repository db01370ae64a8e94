-- The reads of the users service, run by servicekit.queries.reads on the driver's connection
-- (asyncpg, psycopg, asyncmy, PyMySQL). The writes are SQLAlchemy's (repository.py).
-- Every read is one range of an index: the primary key, uq_users_email, or
-- ix_users_name_key_id on (name_key, id); name_key is the name lower-cased.

-- name: users_page(limit)
-- Public profiles in id order, from the first.
SELECT id, name, avatar, created_at
  FROM users
 ORDER BY id
 LIMIT :limit;

-- name: users_page_after(after_id, limit)
-- Public profiles in id order, after the last one of the previous page.
SELECT id, name, avatar, created_at
  FROM users
 WHERE id > :after_id
 ORDER BY id
 LIMIT :limit;

-- name: users_by_name(prefix, limit)
-- Public profiles whose name starts with a prefix (a LIKE pattern, servicekit.queries.search),
-- in name order; name_key is for the next page's cursor.
SELECT id, name, avatar, created_at, name_key
  FROM users
 WHERE name_key LIKE :prefix ESCAPE '/'
 ORDER BY name_key, id
 LIMIT :limit;

-- name: users_by_name_after(prefix, after_key, after_id, limit)
-- The same after the previous page's last (name_key, id). Both bounds on purpose:
-- Postgres starts the index scan at the row comparison; MariaDB cannot, but starts at
-- name_key >= after_key and filters the few rows of that one name. Either way a page
-- costs the same at any depth.
SELECT id, name, avatar, created_at, name_key
  FROM users
 WHERE name_key LIKE :prefix ESCAPE '/'
   AND name_key >= :after_key
   AND (name_key, id) > (:after_key, :after_id)
 ORDER BY name_key, id
 LIMIT :limit;

-- name: public_user(id)^
-- A public profile.
SELECT id, name, avatar, created_at
  FROM users
 WHERE id = :id;

-- name: private_user(id)^
-- An account as its owner sees it.
SELECT id, name, avatar, created_at, email
  FROM users
 WHERE id = :id;

-- name: credentials(email)^
-- What a login checks: the account's id and password hash, by email (lower-cased).
SELECT id, password_hash
  FROM users
 WHERE email = :email;
