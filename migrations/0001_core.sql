-- Tenants, API tokens and their grants, and the audit log.
-- Every table holding one tenant's data has tenant_id first in its primary key.

CREATE TABLE tenants (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  slug        VARCHAR(64)  NOT NULL,
  name        VARCHAR(255) NOT NULL,
  timezone    VARCHAR(64)  NOT NULL,
  created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY tenants_slug (slug)
) ENGINE=InnoDB;

-- A token is shown once; only its SHA-256 is stored.
CREATE TABLE tokens (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash  BINARY(32)   NOT NULL,
  role        ENUM('admin','manager','ingest','client','auditor') NOT NULL,
  label       VARCHAR(255) NOT NULL DEFAULT '',
  created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  revoked_at  DATETIME(6)  NULL,
  UNIQUE KEY tokens_hash (token_hash)
) ENGINE=InnoDB;

CREATE TABLE token_grants (
  tenant_id   BIGINT UNSIGNED NOT NULL,
  token_id    BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, token_id),
  KEY token_grants_token (token_id),
  CONSTRAINT token_grants_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT token_grants_tok FOREIGN KEY (token_id) REFERENCES tokens (id)
) ENGINE=InnoDB;

-- The audit log is one hash chain across tenants: hash = SHA-256(prev_hash || entry).
-- audit_head holds the chain's end, locked FOR UPDATE by each append, so
-- appends from any number of server instances are serialised.
CREATE TABLE audit_log (
  id          BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  at          DATETIME(6)  NOT NULL,
  actor       VARCHAR(128) NOT NULL,
  tenant_id   BIGINT UNSIGNED NULL,
  action      VARCHAR(64)  NOT NULL,
  object      VARCHAR(255) NOT NULL,
  detail      TEXT         NOT NULL,
  prev_hash   BINARY(32)   NOT NULL,
  hash        BINARY(32)   NOT NULL,
  KEY audit_tenant (tenant_id, id)
) ENGINE=InnoDB;

CREATE TABLE audit_head (
  id          TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  last_id     BIGINT UNSIGNED NOT NULL,
  last_hash   BINARY(32) NOT NULL
) ENGINE=InnoDB;

INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, UNHEX(REPEAT('00', 32)));
