/*
 * modules/audit/action_texts.h — what each audited action means to the person it concerns, in Vietnamese and
 * English, for "who used my data" (GET /v1/me/access-log). The table is this module's; an action it does not know
 * gets a generic text naming the action, so a module adding an action never breaks the log.
 */
#ifndef CONG_MODULES_AUDIT_ACTION_TEXTS_H
#define CONG_MODULES_AUDIT_ACTION_TEXTS_H

#include <stddef.h>

typedef struct audit_action_text {
    const char *action;     /* e.g. "dossier.view" */
    const char *actor_kind; /* the text for this kind of actor ("official"...), or NULL for any */
    const char *vi;
    const char *en;
} audit_action_text_t;

/** The texts of `action` done by an actor of `actor_kind` (the row for that kind, else the action's row for any);
 *  NULL when the table does not know the action (use audit_action_generic). */
const audit_action_text_t *audit_action_text(const char *action, const char *actor_kind);
/** The generic texts for an unknown action, written into vi and en (NUL-terminated, truncated to fit). */
void audit_action_generic(const char *action, char *vi, size_t vi_size, char *en, size_t en_size);

#endif
