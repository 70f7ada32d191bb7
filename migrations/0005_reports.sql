-- Report jobs and their signed artifacts.  A report never changes once done;
-- generating the same period and template again makes version 2, which
-- supersedes version 1 (both stay downloadable and verifiable).
CREATE TABLE reports (
  tenant_id          BIGINT UNSIGNED NOT NULL,
  id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  period             CHAR(7)      NOT NULL,           -- YYYY-MM, local to the contract's zone
  template           VARCHAR(64)  NOT NULL,
  audience           ENUM('client','internal','portfolio') NOT NULL,
  version            INT UNSIGNED NOT NULL,
  supersedes         BIGINT UNSIGNED NULL,
  status             ENUM('queued','running','done','failed') NOT NULL,
  progress           TINYINT UNSIGNED NOT NULL DEFAULT 0,
  error              TEXT         NULL,
  generated_at       BIGINT       NOT NULL,           -- epoch seconds the workbook states
  requested_by       VARCHAR(128) NOT NULL,
  worker             VARCHAR(128) NULL,              -- the instance that claimed it
  heartbeat_at       DATETIME(6)  NULL,              -- a stale heartbeat means its server died
  attempts           INT UNSIGNED NOT NULL DEFAULT 0,
  created_at         DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at        DATETIME(6)  NULL,
  sha256             BINARY(32)   NULL,
  bytes              BIGINT UNSIGNED NULL,
  data_digest        CHAR(64)     NULL,
  signer_fingerprint CHAR(64)     NULL,
  signer             VARCHAR(512) NULL,
  PRIMARY KEY (tenant_id, id),
  KEY reports_id (id),
  KEY reports_queue (status, id),
  KEY reports_sha256 (sha256),
  KEY reports_period (tenant_id, period, template, version),
  CONSTRAINT reports_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE report_artifacts (
  tenant_id  BIGINT UNSIGNED NOT NULL,
  report_id  BIGINT UNSIGNED NOT NULL,
  kind       ENUM('workbook','signature') NOT NULL,
  content    LONGBLOB NOT NULL,
  PRIMARY KEY (tenant_id, report_id, kind)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
