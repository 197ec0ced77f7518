/*
 * modules/appointments — booked times with a unit's staff (issue 15): units publish a schedule per procedure domain,
 * citizens hold a slot, confirm it or cancel it, holds that are not confirmed in time expire, and the holder is
 * reminded the day before and an hour before. Built on include/cong/module.h (1.6).
 *
 * The contract:
 *   - A unit's schedule for a domain (appointment_schedules, published by an official of the unit): ISO weekdays
 *     (weekends only when listed), periods of the day, the slot length and the seats per slot. No slot on a holiday
 *     of the procedures module's calendar, none in the past, none beyond modules.appointments.horizon_days. Slots are
 *     generated on the fly from the schedule (slots.c, and appointment_slot_offered in the SQL for a booking); the
 *     seats taken are rows (appointment_slots).
 *   - Never overbooked: a booking takes its seat in ONE statement (appointment_seat_take: INSERT ... ON CONFLICT DO
 *     UPDATE SET taken = taken + 1 WHERE taken < capacity) in the transaction that checks the citizen's limits under
 *     an advisory lock on the citizen (appointment_book): max_active_per_domain appointments held or confirmed and not
 *     begun in one domain, max_per_day on one local day. Full: 409 slot-full; a limit: 409
 *     appointment-limit-reached naming it. 201 only after the commit.
 *   - A booking is a hold for hold_ttl_s; the holder confirms it in time or it expires (the job, or a confirm that
 *     comes too late: 409 hold-expired) and its seat is given back; a cancel gives it back too. An Idempotency-Key is
 *     required: the same key and request answer the same appointment, another request 422 idempotency-key-reused.
 *   - Events: push_outbox rows to the holder, 'appointment.changed' (confirmed, cancelled, expired) in the change's
 *     transaction, 'appointment.reminder' 24 hours and an hour before a confirmed appointment, each once (a column
 *     per reminder, set with the row). Audit records: appointment.book, .confirm, .cancel, .expire, .schedule, .list.
 *   - Only one's own: nobody books, confirms, cancels or reads for someone else (no mandate_action), a dossier_code
 *     must be the caller's own dossier, someone else's appointment is 404 (GET /v1/appointments/{id} too).
 *   - The desk: officials of the unit (level 2) publish its schedules and list its held and confirmed appointments of
 *     a day (GET /v1/desk/units/{code}/appointments?date=&domain=), each shown without its holder and audited
 *     (appointment.list). PostgreSQL is the truth; Redis is not used.
 *
 * Files: appointments.c (entry point, configuration, shared replies), clock.c and slots.c (pure: dates, times, the
 * slot grid; unit-tested), schedule.c (a schedule's JSON, pure), availability.c (GET slots), book.c (POST), change.c
 * (confirm, cancel, read and list mine), desk.c (officials publish a schedule, list a day's bookings), jobs.c (holds'
 * expiry, reminders). The SQL, with the rules that need the tables: migrations/0001_appointments.sql, and
 * 0002_appointments_desk.sql (the desk list).
 */
#ifndef CONG_MODULE_APPOINTMENTS_H
#define CONG_MODULE_APPOINTMENTS_H

#include <cong/module.h>
#include <stddef.h>
#include <time.h>

#define APPT_MODULE "appointments"
#define APPT_VERSION "1.0.0"
#define APPT_CODE_MAX 32        /* unit codes and domains are at most this long */
#define APPT_PERIODS_MAX 6      /* periods of a schedule's day */
#define APPT_RANGE_DAYS_MAX 31  /* days one GET of slots may cover */
#define APPT_SLOTS_MAX 20000    /* slots one answer may hold */
#define APPT_JOB_BATCH 200      /* holds expired, reminders written, per job run */
#define APPT_LIST_MAX 100       /* appointments GET /v1/me/appointments answers */
#define APPT_DESK_LIST_MAX 500  /* appointments one desk list of a unit's day answers */
#define APPT_ISO_SIZE 26        /* "YYYY-MM-DDTHH:MM:SS+07:00" and its NUL */
#define APPT_DATE_SIZE 11       /* "YYYY-MM-DD" and its NUL */

typedef struct appt_config {
    int hold_ttl_s;            /* a hold's life before it must be confirmed */
    int max_active_per_domain; /* appointments held or confirmed and not begun, per citizen and domain */
    int max_per_day;           /* ... per citizen on one local day, all domains and units */
    int horizon_days;          /* how far ahead slots are offered */
    int slots_max_age_s;       /* Cache-Control max-age of GET slots */
    int job_interval_ms;       /* the expiry and reminders job's period */
} appt_config_t;

extern const cong_api_t *appt_api;
extern appt_config_t appt_config;

/* ---- clock.c (pure): Hanoi is UTC+7 all year; days are counted from 1970-01-01 (Hanoi) ---- */
#define APPT_HANOI_OFFSET_S (7 * 3600)
/** "YYYY-MM-DD" (a real date, years 2000..2999) to its day number. 0, or -1. */
int appt_date_parse(const char *s, long long *day);
/** A day number as "YYYY-MM-DD" (APPT_DATE_SIZE bytes). */
void appt_date_format(long long day, char out[APPT_DATE_SIZE]);
/** ISO weekday of a day number: 1 Monday .. 7 Sunday. */
int appt_weekday(long long day);
/** Hanoi's day number of an instant. */
long long appt_day_of(time_t t);
/** "HH:MM" (00:00..24:00) to minutes of the day. 0, or -1. */
int appt_hhmm_parse(const char *s, int *minutes);
/** An instant in ISO 8601 with seconds and an offset or Z ("2026-12-07T08:30:00+07:00", "...Z"; seconds optional)
 *  to seconds since the epoch. 0, or -1 (any other shape, an impossible date or time). */
int appt_iso_parse(const char *s, long long *epoch);
/** An instant as Hanoi's "YYYY-MM-DDTHH:MM:SS+07:00" (APPT_ISO_SIZE bytes). */
void appt_iso_format(long long epoch, char out[APPT_ISO_SIZE]);

/* ---- schedule.c (pure) ---- */
typedef struct appt_period { int start_min, end_min; } appt_period_t;
typedef struct appt_schedule {
    unsigned weekdays;                      /* bit d set: ISO weekday d (1..7) is open */
    appt_period_t periods[APPT_PERIODS_MAX];/* sorted, disjoint, each at least one slot long */
    int nperiods;
    int slot_minutes;                       /* 5..480 */
    int capacity;                           /* 1..10000 */
} appt_schedule_t;
/** Reads a schedule from its JSON ({"weekdays": [1..7] (default Monday..Friday), "periods": [{"start": "HH:MM",
 *  "end": "HH:MM"}], "slot_minutes", "capacity"}). 0, or -1 with the offending field's name in *field and a short
 *  code in *code (for a validation-failed problem). */
int appt_schedule_parse(const struct json_t *j, appt_schedule_t *s, const char **field, const char **code);

/* ---- slots.c (pure) ---- */
typedef struct appt_slot { long long starts_at; } appt_slot_t;
/** The slots the schedule offers on days from..to (inclusive), leaving out the days in closed[] (sorted or not) and
 *  slots starting at or before not_before, in time order, into out (at most max). Returns how many, or -1 when more
 *  than max would be needed. */
int appt_slots_generate(const appt_schedule_t *s, long long from_day, long long to_day, const long long *closed,
                        size_t nclosed, long long not_before, appt_slot_t *out, int max);

/* ---- appointments.c ---- */
/** 503 for a store that is down or slow (Retry-After added by the gateway), else 500 (logged). */
void appt_reply_store_error(cong_req_t *req, int err);
void appt_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb, void *udata);
/** An (http_status, body) answer of the SQL: a body with "problem" as problem+json (its other members as extension
 *  members), else the body as JSON with that status, no-store. */
void appt_reply_outcome(cong_req_t *req, const char *status, const char *body);
/** A unit code or domain: 1..APPT_CODE_MAX of [A-Za-z0-9._-]. */
int appt_code_ok(const char *s);
/** A copy of s in the request's pool (NULL when out of memory). */
char *appt_strdup(cong_req_t *req, const char *s);

/* ---- routes, each file's; jobs ---- */
int appt_availability_register(cong_module_ctx_t *ctx);
int appt_book_register(cong_module_ctx_t *ctx);
int appt_change_register(cong_module_ctx_t *ctx);
int appt_desk_register(cong_module_ctx_t *ctx);
int appt_jobs_register(cong_module_ctx_t *ctx);

#endif
