-- Quality assurance: scorecards (forms), evaluations and their items,
-- calibration sessions, appeals, inspectors.  Instants are microseconds
-- since the Unix epoch, UTC (BIGINT), as for contacts.  Scores are computed
-- by the server (reports/qa_score.c), never taken from the input.

-- A scorecard version is immutable once stored: evaluations name the
-- version they were scored with.
CREATE TABLE qa_forms (
  tenant_id    BIGINT UNSIGNED NOT NULL,
  form_id      VARCHAR(64)  NOT NULL,
  version      INT UNSIGNED NOT NULL,
  body         MEDIUMTEXT   NOT NULL,           -- the scorecard JSON (keys sorted)
  pass_mark    DOUBLE       NOT NULL,
  created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  actor        VARCHAR(128) NOT NULL,
  PRIMARY KEY (tenant_id, form_id, version),
  CONSTRAINT qa_forms_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Whether the contact is known is not stored: it is a join with contacts at
-- read time (qa_evaluations_final below), so a contact that arrives after
-- its evaluation links itself with no update of the evaluation.
CREATE TABLE evaluations (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  evaluation_id VARCHAR(64)  NOT NULL,
  call_id       VARCHAR(64)  NOT NULL,
  agent_id      VARCHAR(64)  NOT NULL,
  inspector_id  VARCHAR(64)  NOT NULL,
  form_id       VARCHAR(64)  NOT NULL,
  form_version  INT UNSIGNED NOT NULL,
  evaluated_us  BIGINT       NOT NULL,
  score         DOUBLE       NOT NULL,          -- 0..100, 0 when fatal and critical_zeroes
  raw_score     DOUBLE       NOT NULL,          -- before the critical rule
  fatal         TINYINT      NOT NULL,          -- a critical item failed
  defect        TINYINT      NOT NULL,          -- any item failed
  row_hash      BINARY(16)   NOT NULL,          -- of the input fields and items: "unchanged"
  batch_id      BIGINT UNSIGNED NOT NULL,       -- the batch that last wrote the row
  PRIMARY KEY (tenant_id, evaluation_id),
  KEY evaluations_evaluated (tenant_id, evaluated_us),
  KEY evaluations_call (tenant_id, call_id),
  KEY evaluations_inspector (tenant_id, inspector_id, evaluated_us)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The items given in an evaluation (an item not given counts as na).
CREATE TABLE evaluation_items (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  evaluation_id VARCHAR(64)  NOT NULL,
  item_id       VARCHAR(64)  NOT NULL,
  result        VARCHAR(16)  NOT NULL,          -- pass, fail, na, or points ("4", "2.5")
  earned        DECIMAL(8,2) NOT NULL,          -- 0 for na
  possible      DECIMAL(8,2) NOT NULL,          -- the item's max; 0 for na
  PRIMARY KEY (tenant_id, evaluation_id, item_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per participant of a calibration session.  A session is stored
-- and replaced as a whole (session_hash is the same on each of its rows).
CREATE TABLE calibrations (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  session_id    VARCHAR(64)  NOT NULL,
  inspector_id  VARCHAR(64)  NOT NULL,
  call_id       VARCHAR(64)  NOT NULL,
  form_id       VARCHAR(64)  NOT NULL,
  form_version  INT UNSIGNED NOT NULL,
  is_reference  TINYINT      NOT NULL,
  evaluated_us  BIGINT       NOT NULL,
  score         DOUBLE       NOT NULL,
  session_hash  BINARY(16)   NOT NULL,
  batch_id      BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, session_id, inspector_id),
  KEY calibrations_inspector (tenant_id, inspector_id, evaluated_us)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE calibration_items (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  session_id    VARCHAR(64)  NOT NULL,
  inspector_id  VARCHAR(64)  NOT NULL,
  item_id       VARCHAR(64)  NOT NULL,
  result        VARCHAR(16)  NOT NULL,
  earned        DECIMAL(8,2) NOT NULL,
  possible      DECIMAL(8,2) NOT NULL,
  PRIMARY KEY (tenant_id, session_id, inspector_id, item_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- At most one appeal per evaluation (a later decision replaces it).  The
-- evaluation's own score is never changed: the final score is derived.
CREATE TABLE appeals (
  tenant_id     BIGINT UNSIGNED NOT NULL,
  evaluation_id VARCHAR(64)  NOT NULL,
  appealed_us   BIGINT       NOT NULL,
  decided_us    BIGINT       NOT NULL,
  outcome       ENUM('upheld','overturned') NOT NULL,
  new_score     DOUBLE       NULL,              -- only when overturned
  row_hash      BINARY(16)   NOT NULL,
  batch_id      BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, evaluation_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Inspector lists, versioned by month: the list in force for month M is
-- the one with the greatest effective_month <= M.  A PUT replaces the list
-- of its month.
CREATE TABLE inspectors (
  tenant_id       BIGINT UNSIGNED NOT NULL,
  effective_month CHAR(7)      NOT NULL,        -- YYYY-MM
  inspector_id    VARCHAR(64)  NOT NULL,
  name            VARCHAR(255) NOT NULL,
  monthly_quota   INT UNSIGNED NOT NULL,
  PRIMARY KEY (tenant_id, effective_month, inspector_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- What metrics read: each evaluation with its final score (an overturned
-- appeal's new_score, else the evaluation's) and whether its contact is
-- known now.
CREATE VIEW qa_evaluations_final AS
SELECT e.tenant_id, e.evaluation_id, e.call_id, e.agent_id, e.inspector_id, e.form_id,
       e.form_version, e.evaluated_us, e.score AS original_score,
       CASE WHEN a.outcome = 'overturned' THEN a.new_score ELSE e.score END AS final_score,
       e.fatal, e.defect, a.outcome AS appeal_outcome,
       c.call_id IS NOT NULL AS contact_known, c.ended_us AS contact_ended_us
FROM evaluations e
LEFT JOIN appeals a ON a.tenant_id = e.tenant_id AND a.evaluation_id = e.evaluation_id
LEFT JOIN contacts c ON c.tenant_id = e.tenant_id AND c.call_id = e.call_id;
