/*
 * scan.h: "postroute-agent scan": the detector over log files, offline.
 *
 * NAME
 *	scan - backtest rules and thresholds on old Postfix logs
 *
 * SYNOPSIS
 *	postroute-agent scan [--rules FILE]... [--providers FILE]
 *	    [--set NAME=VALUE]... [--report | --unknown] [--json] [--top N]
 *	    LOGFILE...
 *	postroute-agent scan [same options] --journal DIR [--units LIST]
 *
 * DESCRIPTION
 *	Reads each LOGFILE ("-" is standard input) line by line, parses,
 *	attributes and classifies every delivery attempt and feeds the same
 *	detector the live agent runs, with the log's timestamps as its
 *	clock. Prints one JSON object per line on standard output:
 *
 *	  {"type":"delivery","line":N,"node":..,"provider":..,"domain":..,
 *	   "relay":..,"dsn":..,"status":..,"class":..,"reroutable":true|false}
 *	  {"type":"block"|"clear"|"volume","node":..,...}
 *
 *	The events are the bodies the live agent posts (eventjson.h, the
 *	table of docs/api.md), node being the log line's host.
 *
 *	--journal DIR reads, instead of log files, the journal files in DIR
 *	(/var/log/journal for this host's persistent journal, a copy, or
 *	forwarded journals): every entry of the units in LIST (default:
 *	postfix@-.service postfix.service, matched on _SYSTEMD_UNIT), oldest
 *	first, turned into lines as the live agent's source = journal does
 *	(journalsrc.h); "line" then counts entries.
 *
 *	"line" is 1-based within its file; "relay" is the remote host name
 *	("none" when Postfix named none); "reroutable" is true only for
 *	replies whose rule says yes (ambiguous prints false). Deliveries that
 *	went through a relay rather than the provider's MX hosts
 *	(CATALOGUE_ELSEWHERE) are printed but not fed to the detector.
 *
 *	Rules: the default rules.conf, then each --rules FILE on top (a
 *	later file overrides by rule name and is tried first, as the live
 *	agent's [logwatch] rules). Providers: --providers FILE replaces the
 *	default providers.conf. Defaults are looked up in
 *	$POSTROUTE_DATADIR, then the compiled-in POSTROUTE_DATADIR
 *	(PREFIX/share/postroute after make install), then ../share/postroute
 *	next to the program (an install under another PREFIX), then deploy/
 *	in the source tree the program sits in (see datafile.h); never in
 *	the working directory.
 *
 *	--set NAME=VALUE changes a threshold for the run, to backtest
 *	thresholds as well as rules: NAME is one of agent.ini's [logwatch]
 *	threshold keys (window, fail_percent, volume_interval, ...), VALUE
 *	in its units, parsed by the same table (agentconf_threshold_set).
 *	The old names fail_share and conn_share are refused with the new
 *	name and value.
 *
 *	--report prints instead a summary of the whole input for a person
 *	(report.h, reporttext.h): the log's span, lines, deliveries sent,
 *	deferred and bounced per provider and class, block episodes with
 *	their start and end, surges, and the most frequent replies of class
 *	unknown. --unknown prints only that last list: each reply with what
 *	varies masked (replymask.h), its count, the providers that gave it
 *	and one example, so that someone writes a rule for it. --json makes
 *	either one JSON document (reportjson.h); --top N (1-100000, default
 *	10) cuts each list to N entries. Memory stays bounded whatever the
 *	log's size (report.h, MEMORY).
 *
 *	Traditional syslog timestamps take their year from the file's
 *	modification time (standard input: now) and are local time.
 *
 * DIAGNOSTICS
 *	Exit 0; 1 when a log file could not be read (the others are still
 *	scanned); 2 on usage errors or bad rules/providers files (every bad
 *	line is reported). Garbage lines are skipped and counted; the
 *	count goes to standard error at the end, and a report of input
 *	without a single delivery result says so there too.
 *
 * SECURITY
 *	Log text comes from remote servers: output strings are JSON-escaped;
 *	lines over MAILLOG_LINE_MAX are refused by the parser, and a line
 *	longer than the 4 MiB read buffer is dropped as it is read, never
 *	held whole in memory.
 */
#ifndef POSTROUTE_SCAN_H
#define POSTROUTE_SCAN_H

/* argv[0] is "scan". Returns the exit status. */
int scan_main(int argc, char **argv);

#endif
