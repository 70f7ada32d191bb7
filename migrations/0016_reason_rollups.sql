-- Reason rollups (issues 17 and 19): the Cases sheet, GET /metrics?by=reason
-- and `slattest metrics --by reason` read a month's few hundred reason rows
-- instead of its contacts.  One row per tenant, local day (the zone of the
-- contract in force, as agent_rollups) and contact reason ('' for contacts
-- without one), with the same counts and detail as agent_rollups (no slots:
-- a case type has no interval staffing).  Kept by ingest in the batch's
-- transaction, rebuilt with the other rollups (server/store/rollup_batch.c).
--
-- Every tenant is queued in rollup_rebuilds: `slattest migrate` rebuilds
-- each one from its contacts after applying this file.  Until then a
-- tenant's metrics read its contacts, as before.

-- agent_rollups' columns (0013), keyed by reason instead of agent_id
-- (CREATE TABLE ... LIKE copies the key but not the foreign key).
CREATE TABLE reason_rollups LIKE agent_rollups;
ALTER TABLE reason_rollups
  CHANGE agent_id reason VARCHAR(64) NOT NULL,
  DROP COLUMN slots,
  ADD CONSTRAINT reason_rollups_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id);

INSERT IGNORE INTO rollup_rebuilds (tenant_id) SELECT id FROM tenants;
