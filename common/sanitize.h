/*
 * sanitize.h: text that a reporter (an agent, a detector) sends, made
 * safe to store, log and show to on-call.
 *
 * A reporter's free text (a block's samples, a failed step's stderr) may
 * hold a newline that forges a second log line, an escape sequence for
 * the operator's terminal, or a C1 control. Everything here removes
 * control characters: tab, CR and LF become a space (the text stays
 * readable), every other C0 control, DEL and the UTF-8 C1 controls
 * (U+0080..U+009F) are dropped. Nothing else changes: the result is
 * valid UTF-8 when the input was.
 *
 * The report steps are the agent's step names (agent/sync.c, apply.c,
 * mapinstall.c, privsep.c), a closed set that the controller accepts.
 */
#ifndef POSTROUTE_SANITIZE_H
#define POSTROUTE_SANITIZE_H

#include <jansson.h>

/* A newly allocated copy of in without control characters. */
char *sanitize_text(const char *in);

/* Replaces, in place, every string in v (an object's values, an array's
 * elements, recursively) that holds a control character by its sanitized
 * copy. Object keys are left alone (the API refuses unknown keys). */
void sanitize_json(json_t *v);

/* 1 when step is one of the agent's step names, else 0. */
int sanitize_step_known(const char *step);

/* The step names as one text for an error message ("feed, validate, ..."). */
const char *sanitize_step_list(void);

#endif
