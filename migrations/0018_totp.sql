-- The portal's second factor (docs/portal.md "Two-step sign-in"): a
-- person's TOTP secret (RFC 6238, 20 random bytes), the one being enrolled
-- until a code confirms it, and the last time step a code was accepted for
-- (a code is good once: no replay).  A session made by a password alone for
-- someone enrolled waits for the code (mfa_pending) and authenticates
-- nothing until it is given.  Secrets are never logged or audited.

ALTER TABLE people
  ADD COLUMN totp_secret     VARBINARY(64) NULL,
  ADD COLUMN totp_pending    VARBINARY(64) NULL,
  ADD COLUMN totp_enabled_at DATETIME(6)   NULL,
  ADD COLUMN totp_last_step  BIGINT        NOT NULL DEFAULT -1;

ALTER TABLE sessions
  ADD COLUMN mfa_pending TINYINT(1) NOT NULL DEFAULT 0;
