-- Migration 5: what each inbox file hashed to, so that a file whose size and mtime have not
-- changed is not read again (a re-run over thousands of processed calls returns in seconds).
CREATE TABLE IF NOT EXISTS file_identity (
    path     VARCHAR PRIMARY KEY,
    size     BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    sha256   VARCHAR NOT NULL
);
