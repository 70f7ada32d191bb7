-- Reason rollups (issues 17 and 19): the Cases sheet, GET /metrics?by=reason
-- and `slattest metrics --by reason` read a month's few hundred reason rows
-- instead of its contacts.  One row per tenant, local day (the zone of the
-- contract in force, as agent_rollups) and contact reason ('' for contacts
-- without one), with the same counts and detail as agent_rollups (no slots:
-- a reason has no interval staffing).  Kept by ingest in the batch's
-- transaction, rebuilt with the other rollups (server/store/rollup_batch.c).
--
-- Every tenant is queued in rollup_rebuilds: `slattest migrate` rebuilds
-- each one from its contacts after applying this file.  Until then a
-- tenant's metrics read its contacts, as before.

CREATE TABLE reason_rollups (
  tenant_id          BIGINT UNSIGNED NOT NULL,
  day_us             BIGINT       NOT NULL,   -- the local day's first instant, UTC microseconds
  reason             VARCHAR(64)  NOT NULL,   -- '' for contacts without a reason
  sl_threshold_s     SMALLINT UNSIGNED NOT NULL,
  short_abandon_s    SMALLINT UNSIGNED NOT NULL,
  fcr_window_h       SMALLINT UNSIGNED NOT NULL,
  answered_n         BIGINT NOT NULL,
  answered_within_n  BIGINT NOT NULL,
  answered_wait_sum  BIGINT NOT NULL,
  abandoned_n        BIGINT NOT NULL,
  abandoned_wait_sum BIGINT NOT NULL,
  abandoned_within_n BIGINT NOT NULL,
  short_abandoned_n  BIGINT NOT NULL,
  short_wait_sum     BIGINT NOT NULL,
  overflow_n         BIGINT NOT NULL,
  overflow_wait_sum  BIGINT NOT NULL,
  talk_sum           BIGINT NOT NULL,
  hold_sum           BIGINT NOT NULL,
  acw_sum            BIGINT NOT NULL,
  transferred_n      BIGINT NOT NULL,
  csat_1_n           BIGINT NOT NULL,
  csat_2_n           BIGINT NOT NULL,
  csat_3_n           BIGINT NOT NULL,
  csat_4_n           BIGINT NOT NULL,
  csat_5_n           BIGINT NOT NULL,
  resolved_base_n    BIGINT NOT NULL,
  resolved_n         BIGINT NOT NULL,
  fcr_base_n         BIGINT NOT NULL,
  fcr_repeat_n       BIGINT NOT NULL,
  waits_answered     MEDIUMBLOB NOT NULL,
  waits_abandoned    MEDIUMBLOB NOT NULL,
  waits_overflow     MEDIUMBLOB NOT NULL,
  PRIMARY KEY (tenant_id, day_us, reason),
  CONSTRAINT reason_rollups_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO rollup_rebuilds (tenant_id) SELECT id FROM tenants;
