/*
 * person_totp.h - a person's TOTP second factor (RFC 6238, lib/totp.h;
 * migrations/0012_totp.sql): enrolment in two steps (a new secret kept as
 * pending, shown once as text and QR code, then confirmed by a code from
 * the app), its state, and turning it off.  The login's code step is
 * session_totp() (session.h).
 *
 * Secrets never reach a log or the audit log; enrolment, a refused
 * confirmation code and turning it off are audited.  Functions run on the
 * caller's thread with the caller's connection.
 */
#ifndef SLT_PERSON_TOTP_H
#define SLT_PERSON_TOTP_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "totp.h"

/* Whether a person is enrolled, and whether an enrolment waits for its code. */
int ptotp_state(db_t *db, uint64_t person_id, bool *enrolled, bool *pending);

/*
 * Starts (or restarts) an enrolment: a new random secret kept as pending,
 * its base32 text into b32.  ST_ERR_CONFLICT when already enrolled.
 */
int ptotp_begin(db_t *db, uint64_t person_id, char b32[TOTP_BASE32_MAX]);

/* The pending secret's base32 text (to show the page again); ST_ERR_NOT_FOUND when none. */
int ptotp_pending(db_t *db, uint64_t person_id, char b32[TOTP_BASE32_MAX]);

/*
 * Confirms an enrolment with a code of the pending secret at Unix time
 * now_s: the secret becomes the person's, and the code's step counts as
 * used.  ST_ERR_INVALID (audited "person.totp_failed") for a wrong code,
 * ST_ERR_NOT_FOUND when nothing is pending.
 */
int ptotp_confirm(db_t *db, uint64_t person_id, const char *code, int64_t now_s);

/*
 * Turns the second factor off after checking the person's password:
 * ST_ERR_AUTH for a wrong password, ST_ERR_NOT_FOUND when not enrolled.
 * Audited "person.totp_disable".
 */
int ptotp_disable(db_t *db, uint64_t person_id, const char *password);

/*
 * An admin turns a person's second factor off (a lost phone): the person
 * signs in with the password alone until they enrol again (at once, when
 * their role requires it).  ST_ERR_NOT_FOUND when no such person has it on.
 * Audited "person.totp_reset" by actor.
 */
int ptotp_reset(db_t *db, const char *actor, const char *email);

#endif
