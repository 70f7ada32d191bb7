-- People who use the portal (docs/portal.md): the same five roles and tenant
-- grants as tokens (0001_core.sql), an Argon2id password in the encoded
-- form that carries its own parameters, sessions, one-time password links,
-- and the login failures that throttling counts.  Secrets (session ids,
-- link tokens) are stored only as their SHA-256.

CREATE TABLE people (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email         VARCHAR(254) NOT NULL,                -- lowercased
  role          ENUM('admin','manager','ingest','client','auditor') NOT NULL,
  password_hash VARCHAR(255) NULL,                    -- "$argon2id$v=19$m=..,t=..,p=..$salt$hash"; NULL until set
  created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  disabled_at   DATETIME(6)  NULL,
  UNIQUE KEY people_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE person_grants (
  tenant_id   BIGINT UNSIGNED NOT NULL,
  person_id   BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, person_id),
  KEY person_grants_person (person_id),
  CONSTRAINT person_grants_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  CONSTRAINT person_grants_person FOREIGN KEY (person_id) REFERENCES people (id)
) ENGINE=InnoDB;

-- A session is a random 256-bit id in the slattest_session cookie; only its
-- SHA-256 is here.  Ends at [portal] idle_timeout_s after last_seen_at or
-- lifetime_s after created_at, at logout, or when the person is disabled.
CREATE TABLE sessions (
  id_hash      BINARY(32)   NOT NULL PRIMARY KEY,
  person_id    BIGINT UNSIGNED NOT NULL,
  created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_seen_at DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  csrf         CHAR(43)     NOT NULL,                 -- the token every form of this session carries
  KEY sessions_person (person_id),
  CONSTRAINT sessions_person FOREIGN KEY (person_id) REFERENCES people (id)
) ENGINE=InnoDB;

-- One-time links to set a password: valid 24 hours, used once.
CREATE TABLE password_links (
  token_hash  BINARY(32)   NOT NULL PRIMARY KEY,
  person_id   BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  expires_at  DATETIME(6)  NOT NULL,
  used_at     DATETIME(6)  NULL,
  KEY password_links_person (person_id),
  CONSTRAINT password_links_person FOREIGN KEY (person_id) REFERENCES people (id)
) ENGINE=InnoDB;

-- Failed logins, by the email typed (known or not) and by client address.
CREATE TABLE login_failures (
  id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email   VARCHAR(254) NOT NULL,
  remote  VARCHAR(64)  NOT NULL,
  at      DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY login_failures_email (email, at),
  KEY login_failures_remote (remote, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
