-- The values each templated report showed, kept so that the next version
-- can list which of them moved (its Changes sheet, REPORTS.md "Issued
-- reports never change").  Written in the transaction that stores the
-- workbook and marks the report done, so a done report has all of it or
-- none; never updated.
CREATE TABLE report_values (
  tenant_id       BIGINT UNSIGNED NOT NULL,
  report_id       BIGINT UNSIGNED NOT NULL,
  canon           LONGBLOB NOT NULL,           -- the canonical text of the data digest (xl_digest.h)
  seen_batch_id   BIGINT UNSIGNED NOT NULL,    -- the highest committed ingest batch id of the tenant before the data were read
  listed_batch_id BIGINT UNSIGNED NOT NULL,    -- the highest batch id its Changes sheets list (when they were written)
  PRIMARY KEY (tenant_id, report_id),
  CONSTRAINT report_values_report FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
