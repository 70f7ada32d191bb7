-- Scheduled reports, the rest of issue 15 (docs/schedules.md): opt-outs,
-- notices to managers, versions made again for stale reports.

-- Keys the server makes itself and every instance shares (generated once, on
-- first use, by whichever instance gets there first: INSERT on the key).
-- "unsubscribe": the HMAC-SHA256 key of opt-out links.
CREATE TABLE server_keys (
  name        VARCHAR(64)   NOT NULL PRIMARY KEY,
  secret      VARBINARY(64) NOT NULL,
  created_at  BIGINT        NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A recipient who stopped a schedule's e-mails (the link in every e-mail).
-- A PUT listing the recipient with "resubscribe": true deletes the row.
CREATE TABLE schedule_optouts (
  tenant_id   BIGINT UNSIGNED NOT NULL,
  schedule    VARCHAR(64)  NOT NULL,
  email       VARCHAR(254) NOT NULL,
  opted_at    BIGINT       NOT NULL,
  via         VARCHAR(32)  NOT NULL,             -- "page" or "one-click" (RFC 8058)
  PRIMARY KEY (tenant_id, schedule, email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A run that makes a stale report again: reissue_of is the highest batch
-- that made the period's report stale (0 for the month's first run), so
-- each set of late batches makes one run, once, on the unique key.
ALTER TABLE schedule_runs
  ADD COLUMN reissue_of BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER period,
  DROP INDEX schedule_runs_key,
  ADD UNIQUE KEY schedule_runs_key (tenant_id, schedule, period, reissue_of);

-- Notices go through the deliveries too (retries, history, exactly once):
-- kind "stale" (a report's period changed after it was issued; ref: the
-- highest such batch) and "paused" (a schedule paused after dead letters;
-- ref: the dead delivery that paused it), one per manager.  A report e-mail
-- to a recipient who opted out is recorded as "skipped".
ALTER TABLE deliveries
  ADD COLUMN kind ENUM('report','stale','paused') NOT NULL DEFAULT 'report' AFTER run_id,
  ADD COLUMN ref BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER kind,
  MODIFY COLUMN status ENUM('pending','sending','sent','dead','skipped') NOT NULL,
  DROP INDEX deliveries_key,
  ADD UNIQUE KEY deliveries_key (tenant_id, kind, ref, run_id, report_id, channel, seq);
