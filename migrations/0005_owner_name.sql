-- The name the owner's browser gives when it connects to its plan edited together (proven
-- with the owner secret): people who join are told whose plan it is. Written for both
-- SQLite and PostgreSQL.
ALTER TABLE shares ADD COLUMN owner_name TEXT NOT NULL DEFAULT '';
