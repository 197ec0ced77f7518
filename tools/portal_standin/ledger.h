/*
 * tools/portal_standin/ledger.h — what the stand-in portal has received: one record per (dossier code, version),
 * kept in memory and appended to a state file as JSON lines, so a restarted stand-in still knows it.
 *
 * The portal's rules, applied by ps_ledger_put:
 *   - a (code, version) already recorded is a duplicate: counted, never applied again;
 *   - version n of a code is accepted only when n == 1 or version n-1 of that code is recorded (order per dossier);
 *     anything else is out of order: counted, not recorded.
 * The counters persist too (one line per event), and reset truncates the file.
 *
 * State file lines: {"kind":"record","dossier_code":s,"version":n,"status":s|null,"received_at":s,"payload":{...}},
 * {"kind":"duplicate",...} and {"kind":"out_of_order",...} (no payload). A record line is written and fsync'd before
 * ps_ledger_put returns PS_RECORDED, so a 201 is never answered for a record a crash could lose. Unparsable lines
 * (a torn last line after a kill) are skipped on load.
 *
 * Single-threaded: no locking. Strings passed in are copied; returned JSON belongs to the caller.
 */
#ifndef PS_LEDGER_H
#define PS_LEDGER_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define PS_CODE_MAX 64 /* dossier codes: [A-Za-z0-9._-]{1,64} */

typedef enum ps_outcome {
    PS_RECORDED,     /* new: applied once */
    PS_DUPLICATE,    /* already recorded: not applied again */
    PS_OUT_OF_ORDER, /* version n-1 not recorded yet: refused */
} ps_outcome_t;

typedef struct ps_record {
    char code[PS_CODE_MAX + 1];
    int version;
    char received_at[32]; /* RFC 3339 UTC with milliseconds */
    json_t *status;       /* the payload's "status" (a string) or json null; owned */
    json_t *payload;      /* owned */
} ps_record_t;

/* Per dossier code: the refused or repeated arrivals. */
typedef struct ps_code_stats {
    char code[PS_CODE_MAX + 1];
    long duplicates, out_of_order;
} ps_code_stats_t;

typedef struct ps_ledger {
    ps_record_t *records; /* in arrival order */
    size_t count, capacity;
    long duplicates, out_of_order; /* all codes */
    ps_code_stats_t *stats;
    size_t stats_count, stats_capacity;
    FILE *file; /* NULL: memory only */
    char *path;
} ps_ledger_t;

/** 1 if `code` is a valid dossier code ([A-Za-z0-9._-]{1,64}). */
int ps_code_valid(const char *code);

/** Opens the ledger; path NULL keeps it in memory only. Loads an existing file. 0, CONG_EIO, CONG_ENOMEM. */
int ps_ledger_open(ps_ledger_t *l, const char *path);
void ps_ledger_close(ps_ledger_t *l);

/** Applies the portal's rules to an arriving (code, version); payload is borrowed (copied when recorded).
 *  0 with *outcome set, or CONG_EIO (the state file cannot be written: nothing recorded), CONG_ENOMEM. */
int ps_ledger_put(ps_ledger_t *l, const char *code, int version, const json_t *payload, ps_outcome_t *outcome);

/** The record of (code, version), or NULL. Valid until the next put or reset. */
const ps_record_t *ps_ledger_find(const ps_ledger_t *l, const char *code, int version);

/** {"records":[{dossier_code,version,status,received_at}...],"duplicates":n,"out_of_order":n}; with code non-NULL,
 *  {"dossier_code":code, "records":[... each with its payload], "duplicates":n, "out_of_order":n} for that dossier
 *  only. NULL when out of memory. */
json_t *ps_ledger_json(const ps_ledger_t *l, const char *code);

/** Forgets everything and truncates the state file. 0 or CONG_EIO. */
int ps_ledger_reset(ps_ledger_t *l);

#endif
