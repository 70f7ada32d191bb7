-- A tenant setting (issue 14): whether its client contacts see month-to-date
-- figures (from rollups) on the portal's overview.  Off by default: some
-- outsourcers show clients only what they have issued.  Managers always see
-- them.  Changed by PATCH /v1/tenants/{t} or on the overview page.
ALTER TABLE tenants ADD COLUMN clients_see_live TINYINT NOT NULL DEFAULT 0;
