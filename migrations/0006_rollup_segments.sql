-- The thresholds contact_rollups are built with, as spans of UTC slot
-- starts: a slot starting in [from_us, to_us) uses these.  Derived from the
-- tenant's contract versions (a month takes the version in force at its
-- first local instant) and rewritten, with the tenant's rollups rebuilt,
-- when a contract PUT changes them.  A tenant without rows uses the
-- METRICS.md defaults (20 s, 5 s); see server/rollup.h.
CREATE TABLE rollup_segments (
  tenant_id        BIGINT UNSIGNED   NOT NULL,
  from_us          BIGINT            NOT NULL,
  to_us            BIGINT            NOT NULL,
  sl_threshold_s   SMALLINT UNSIGNED NOT NULL,
  short_abandon_s  SMALLINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, from_us),
  CONSTRAINT rollup_segments_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
