/*
 * modules/procedures/form.h — checking a dossier's form against its procedure's declared fields.
 *
 * A field is {"name", "type": "string"|"integer"|"date"|"boolean"|"enum", "required", "pattern" (strings, POSIX
 * extended regular expression; \d is read as [0-9]), "max_length" (strings, in characters), "enum": [..] (enum)}.
 * Pure: no I/O, no global state; safe on any thread.
 */
#ifndef CONG_PROCEDURES_FORM_H
#define CONG_PROCEDURES_FORM_H

#include <jansson.h>

/**
 * Checks `form` (a JSON object) against `fields` (a JSON array of field definitions). Returns a new JSON array of
 * errors [{"field": name, "code": code}] — empty when the form is valid — or NULL when out of memory; the caller
 * owns it. Codes: "required", "type", "pattern", "max-length", "enum", "invalid-date", "unknown-field", and "form"
 * (field "form") when `form` is not an object.
 */
json_t *procedures_form_check(const json_t *fields, const json_t *form);

#endif
