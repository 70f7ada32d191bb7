-- Contract versions: every PUT adds one; a month uses the version in force
-- at its first local instant (the latest effective_from on or before it,
-- the later PUT on a tie).  body is the normalised JSON, defaults filled in.
CREATE TABLE contracts (
  tenant_id       BIGINT UNSIGNED NOT NULL,
  version         INT UNSIGNED    NOT NULL,
  effective_from  DATE            NOT NULL,
  body            TEXT            NOT NULL,
  actor           VARCHAR(128)    NOT NULL,
  created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, version),
  KEY contracts_effective (tenant_id, effective_from),
  CONSTRAINT contracts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
