-- Scheduled monthly reports and their delivery by e-mail and webhook (issue 15).
-- Instants here are epoch seconds (BIGINT): `slattest schedule run-due --now`
-- drives them with a chosen instant, so they are not the database's clock.

-- A schedule: what to generate and where to send it.  spec is the canonical
-- JSON the API shows (the webhook secret is kept apart and never shown).
CREATE TABLE schedules (
  tenant_id      BIGINT UNSIGNED NOT NULL,
  name           VARCHAR(64)  NOT NULL,
  spec           TEXT         NOT NULL,
  webhook_secret VARBINARY(512) NULL,
  first_period   CHAR(7)      NOT NULL,           -- the first period it runs
  enabled        TINYINT(1)   NOT NULL,
  paused_reason  VARCHAR(512) NULL,               -- why it was paused by the scheduler
  dead_in_row    INT UNSIGNED NOT NULL DEFAULT 0, -- dead-lettered deliveries since the last success
  created_by     VARCHAR(128) NOT NULL,
  created_at     BIGINT       NOT NULL,
  updated_at     BIGINT       NOT NULL,
  PRIMARY KEY (tenant_id, name),
  CONSTRAINT schedules_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A period closed by hand (POST .../periods/{YYYY-MM}/close).
CREATE TABLE period_closes (
  tenant_id  BIGINT UNSIGNED NOT NULL,
  period     CHAR(7)      NOT NULL,
  closed_at  BIGINT       NOT NULL,
  closed_by  VARCHAR(128) NOT NULL,
  PRIMARY KEY (tenant_id, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One run per (tenant, schedule, period): the unique key is the claim.  Every
-- instance's scheduler may try the INSERT; one wins, the others get a
-- duplicate key (on Galera: a certification conflict), never a second run.
CREATE TABLE schedule_runs (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  schedule     VARCHAR(64)  NOT NULL,
  period       CHAR(7)      NOT NULL,
  status       ENUM('building','delivering','done','failed') NOT NULL,
  due_at       BIGINT       NOT NULL,
  closed_at    BIGINT       NOT NULL,           -- when the period's data counted as complete
  close_kind   ENUM('explicit','grace') NOT NULL,
  close_note   VARCHAR(255) NOT NULL,
  started_at   BIGINT       NOT NULL,
  finished_at  BIGINT       NULL,
  late         TINYINT(1)   NOT NULL,
  late_reason  VARCHAR(512) NULL,
  runner       VARCHAR(128) NOT NULL,
  error        TEXT         NULL,
  PRIMARY KEY (tenant_id, id),
  KEY schedule_runs_id (id),
  UNIQUE KEY schedule_runs_key (tenant_id, schedule, period),
  KEY schedule_runs_status (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The report jobs a run created, one per template.
CREATE TABLE schedule_run_reports (
  tenant_id  BIGINT UNSIGNED NOT NULL,
  run_id     BIGINT UNSIGNED NOT NULL,
  template   VARCHAR(64)  NOT NULL,
  report_id  BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, run_id, template)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One delivery per report, channel and recipient (seq: the recipient's place
-- in the schedule; 0 for the webhook), created once when the run's reports
-- are done.  pending -> sending (claimed by a conditional UPDATE on
-- status and attempts) -> sent, or back to pending with a later
-- next_attempt_at, or dead after the last attempt (retryable by hand).
CREATE TABLE deliveries (
  tenant_id        BIGINT UNSIGNED NOT NULL,
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  run_id           BIGINT UNSIGNED NOT NULL,
  schedule         VARCHAR(64)  NOT NULL,
  report_id        BIGINT UNSIGNED NOT NULL,
  channel          ENUM('email','webhook') NOT NULL,
  seq              SMALLINT UNSIGNED NOT NULL,
  target           VARCHAR(2048) NOT NULL,      -- the address or the URL
  lang             CHAR(2)      NOT NULL,
  status           ENUM('pending','sending','sent','dead') NOT NULL,
  attempts         INT UNSIGNED NOT NULL DEFAULT 0,
  retried_at_attempt INT UNSIGNED NOT NULL DEFAULT 0, -- attempts before the last retry by hand
  next_attempt_at  BIGINT       NOT NULL,
  lease_until      BIGINT       NULL,
  last_error       TEXT         NULL,
  sent_at          BIGINT       NULL,
  created_at       BIGINT       NOT NULL,
  PRIMARY KEY (tenant_id, id),
  KEY deliveries_id (id),
  UNIQUE KEY deliveries_key (tenant_id, run_id, report_id, channel, seq),
  KEY deliveries_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every attempt, whatever its outcome.
CREATE TABLE delivery_attempts (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  delivery_id  BIGINT UNSIGNED NOT NULL,
  attempt      INT UNSIGNED NOT NULL,
  at           BIGINT       NOT NULL,
  outcome      ENUM('sent','failed') NOT NULL,
  detail       TEXT         NOT NULL,
  runner       VARCHAR(128) NOT NULL,
  PRIMARY KEY (tenant_id, delivery_id, attempt)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The last instant any server's scheduler looked (its own clock), so a run
-- that starts late can say why: no scheduler ran since it fell due.
CREATE TABLE sched_ticks (
  id         TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  last_tick  BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT INTO sched_ticks (id, last_tick) VALUES (1, 0);
