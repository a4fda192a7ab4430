/*
 * maincf.h: does this host's Postfix use the agent's maps?
 *
 * NAME
 *	maincf - transport_maps and smtpd_sender_restrictions, as postconf
 *	reports them
 *
 * DESCRIPTION
 *	A map that main.cf does not name is installed for nothing: Postfix
 *	routes by whatever it does name. The agent asks postconf (through
 *	postfix_postconf: `postconf -c DIR -xh NAME`, never its own reading
 *	of main.cf) and compares list elements (maincf_split) exactly:
 *
 *	  maincf_transport  transport_maps must name TYPE:FILE first
 *	                    (map_type and transport_file): an earlier map
 *	                    answers first for the domains it has, so the
 *	                    controller's routes would not win;
 *	  maincf_hold       with hold_map set, smtpd_sender_restrictions
 *	                    must name TYPE:HOLD_MAP (check_sasl_access,
 *	                    or check_sender_access for envelope senders),
 *	                    and no permit_sasl_authenticated or permit
 *	                    before it (they accept the sender first).
 *
 *	maincf_check runs both for the sync loop (at start, after a reload,
 *	when main.cf changed) and `postroute-agent check`.
 *
 * OWNERSHIP
 *	maincf_split returns new strings in a new array: maincf_strv_free.
 *
 * DIAGNOSTICS
 *	MAINCF_OK with what main.cf names in msg; MAINCF_WRONG with what is
 *	wrong and the line to put in main.cf; MAINCF_ERROR when postconf
 *	failed (its exit status and stderr). One line, never fatal.
 */
#ifndef POSTROUTE_MAINCF_H
#define POSTROUTE_MAINCF_H

#include <stddef.h>

#include "agentconf.h"
#include "postfix.h"
#include "strbuf.h"

enum maincf_result { MAINCF_ERROR = -1, MAINCF_OK = 0, MAINCF_WRONG = 1 };

enum maincf_result maincf_transport(const struct postfix *pf, const char *map_type,
    const char *file, struct strbuf *msg);
enum maincf_result maincf_hold(const struct postfix *pf, const char *map_type,
    const char *file, struct strbuf *msg);

/* Both (the hold map only when set): 0, or -1 with every reason, "; "
 * between them, in why. */
int maincf_check(const struct agent_config *cfg, struct strbuf *why);

/* The elements of a Postfix list (whitespace and commas between them,
 * "{ ... }" kept whole): returns their count. */
size_t maincf_split(const char *value, char ***out);
void maincf_strv_free(char **v, size_t n);

#endif
