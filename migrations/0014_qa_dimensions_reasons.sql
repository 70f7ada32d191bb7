-- Quality by the four service qualities and inspection by case (issue 19).
--
-- A contact's case type (`reason`: the customer's issue, <= 64 bytes, ''
-- when not given; queue_log leaves it empty).  GET /metrics?by=reason and
-- the internal workbook's Cases sheet group by it.
ALTER TABLE contacts
  ADD COLUMN reason VARCHAR(64) NOT NULL DEFAULT '';

-- An evaluation's points on each dimension of its scorecard (an item's
-- `dimension`, its own or its section's): the sums over the applicable
-- items (given, not na), written by ingest with the evaluation and replaced
-- with it (reports/qa_dims.c computes them).  The dimension score is
-- 100 x earned / possible; no row when the dimension had no applicable
-- item, none at all for a scorecard without dimensions.
CREATE TABLE evaluation_dimensions (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  evaluation_id VARCHAR(64)   NOT NULL,
  dimension     VARCHAR(32)   NOT NULL,
  earned        DECIMAL(12,2) NOT NULL,
  possible      DECIMAL(12,2) NOT NULL,            -- > 0
  PRIMARY KEY (tenant_id, evaluation_id, dimension)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
