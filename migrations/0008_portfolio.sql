-- The tenants a portfolio report covers, fixed when it is requested: the
-- tenants the requesting token could see then (every tenant for an admin
-- token or the command line), so a rebuild covers the same tenants, and
-- only a token that may see every one of them sees the report.
CREATE TABLE report_covers (
  tenant_id   BIGINT UNSIGNED NOT NULL,   -- the report's tenant (requested under it)
  report_id   BIGINT UNSIGNED NOT NULL,
  covered_id  BIGINT UNSIGNED NOT NULL,   -- a tenant the workbook shows
  PRIMARY KEY (tenant_id, report_id, covered_id),
  CONSTRAINT report_covers_report FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id),
  CONSTRAINT report_covers_tenant FOREIGN KEY (covered_id) REFERENCES tenants (id)
) ENGINE=InnoDB;

-- Versions of a portfolio follow its set of tenants: SHA-256 (hex) of the
-- covered tenant ids in ascending order, as decimal text joined by ','.
-- Empty for the single-tenant audiences.  Generating a portfolio again for
-- the same tenant, period and set makes the next version of it; another
-- set starts its own versions.
ALTER TABLE reports ADD COLUMN scope CHAR(64) NOT NULL DEFAULT '' AFTER audience;
