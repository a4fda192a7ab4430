/*
 * confpath.h: the configuration file a program reads when -c is not given.
 *
 * The Debian paths under /etc/postroute (CONFPATH_DIR). confpath_pick
 * returns GIVEN when set (the caller reports a bad one as before), else
 * DEFAULT when it exists; otherwise NULL with ERR naming DEFAULT and
 * pointing at -c.
 */
#ifndef POSTROUTE_CONFPATH_H
#define POSTROUTE_CONFPATH_H

#include "strbuf.h"

#define CONFPATH_DIR        "/etc/postroute"
#define CONFPATH_CONTROLLER CONFPATH_DIR "/postrouted.ini"
#define CONFPATH_AGENT      CONFPATH_DIR "/agent.ini"
#define CONFPATH_CLI        CONFPATH_DIR "/cli.ini"

const char *confpath_pick(const char *given, const char *deflt, struct strbuf *err);

#endif
