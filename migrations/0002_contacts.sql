-- Contacts (call detail records), ingest batches, rollups, open queue_log contacts.
-- Instants are microseconds since the Unix epoch, UTC (BIGINT): exact, and no
-- time-zone conversion anywhere in the database.

CREATE TABLE ingest_batches (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind         VARCHAR(32)  NOT NULL,           -- cdrs, evaluations, calibrations, appeals
  format       VARCHAR(32)  NOT NULL,
  mode         ENUM('strict','lenient') NOT NULL,
  status       ENUM('committed','rejected') NOT NULL,
  actor        VARCHAR(128) NOT NULL,
  body_sha256  BINARY(32)   NOT NULL,
  body_bytes   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rows_total   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  inserted     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  updated      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  unchanged    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rejected     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  received_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (tenant_id, id),
  KEY ingest_batches_id (id),
  CONSTRAINT ingest_batches_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE contacts (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  call_id      VARCHAR(64)  NOT NULL,
  queue        VARCHAR(64)  NOT NULL,
  offered_us   BIGINT       NOT NULL,
  answered_us  BIGINT       NULL,
  ended_us     BIGINT       NOT NULL,
  wait_s       INT          NOT NULL,           -- METRICS.md: whole seconds, rounded down
  outcome      TINYINT UNSIGNED NOT NULL,       -- 1 answered, 2 abandoned, 3 overflow
  channel      TINYINT UNSIGNED NOT NULL,       -- 1 voice, 2 chat, 3 email, 4 callback
  agent_id     VARCHAR(64)  NOT NULL DEFAULT '',
  customer_id  VARCHAR(64)  NOT NULL DEFAULT '',
  talk_s       INT          NOT NULL,
  hold_s       INT          NOT NULL,
  acw_s        INT          NOT NULL,
  transferred  TINYINT      NOT NULL,
  resolved     TINYINT      NOT NULL,           -- -1 when not given
  csat         TINYINT      NOT NULL,           -- 0 when no survey
  row_hash     BINARY(16)   NOT NULL,           -- of the fields above: "unchanged" detection
  batch_id     BIGINT UNSIGNED NOT NULL,        -- the batch that last wrote the row
  PRIMARY KEY (tenant_id, call_id),
  KEY contacts_offered (tenant_id, offered_us)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Rollups: one row per tenant, queue and UTC 15-minute slot.  Every local
-- 15/30/60-minute interval, day and month of any contract is a union of
-- these slots (time-zone offsets are multiples of 15 minutes), so a time
-- zone or interval change never needs a rebuild.  The counts that depend on
-- the contract's thresholds (answered within sl_threshold_s, short abandons
-- under short_abandon_s) are computed with the thresholds stored on the row;
-- changing those thresholds for a month rebuilds that month's rows.
-- Percentiles and maximum waits come from contacts (METRICS.md allows it).
CREATE TABLE contact_rollups (
  tenant_id          BIGINT UNSIGNED NOT NULL,
  slot_us            BIGINT       NOT NULL,
  queue              VARCHAR(64)  NOT NULL,
  sl_threshold_s     SMALLINT UNSIGNED NOT NULL,
  short_abandon_s    SMALLINT UNSIGNED NOT NULL,
  answered_n         BIGINT NOT NULL,
  answered_within_n  BIGINT NOT NULL,   -- wait_s <= sl_threshold_s
  answered_wait_sum  BIGINT NOT NULL,
  abandoned_n        BIGINT NOT NULL,   -- every unanswered 'abandoned', short ones included
  abandoned_wait_sum BIGINT NOT NULL,
  abandoned_within_n BIGINT NOT NULL,   -- not short and wait_s <= sl_threshold_s
  short_abandoned_n  BIGINT NOT NULL,   -- wait_s < short_abandon_s
  short_wait_sum     BIGINT NOT NULL,
  overflow_n         BIGINT NOT NULL,
  overflow_wait_sum  BIGINT NOT NULL,
  talk_sum           BIGINT NOT NULL,   -- of answered contacts
  hold_sum           BIGINT NOT NULL,
  acw_sum            BIGINT NOT NULL,
  transferred_n      BIGINT NOT NULL,   -- answered with transferred = 1
  PRIMARY KEY (tenant_id, slot_us, queue)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Asterisk queue_log contacts whose end event has not arrived yet.
CREATE TABLE qlog_open (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  callid       VARCHAR(64)  NOT NULL,
  queue        VARCHAR(64)  NOT NULL,
  agent        VARCHAR(64)  NOT NULL,
  customer_id  VARCHAR(64)  NOT NULL,
  entered      BIGINT       NOT NULL,           -- ENTERQUEUE epoch seconds
  connected    BIGINT       NULL,               -- CONNECT epoch seconds; NULL before it
  ring_no_answer INT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, callid, queue)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
