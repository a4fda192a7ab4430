/*
 * app.h: what every part of postrouted shares at run time.
 *
 * Created by main.c and passed by pointer; nothing here is global. The
 * settings are read-only; the pool, long-polls and presence do their own locking.
 */
#ifndef POSTROUTE_APP_H
#define POSTROUTE_APP_H

#include <stdatomic.h>

#include "addrlimit.h"
#include "connguard.h"
#include "db.h"
#include "longpoll.h"
#include "notify.h"
#include "presence.h"
#include "ratelimit.h"
#include "settings.h"
#include "tls.h"

struct app {
	const struct settings *settings;
	const struct tls_server *tls;      /* NULL or off: cleartext HTTP */
	struct db_pool *pool;
	struct longpoll *longpoll;
	struct presence *presence;
	struct notify *notify;
	struct connguard *guard;       /* request deadlines ([server] request_timeout) */
	struct addrlimit *authfail;    /* 401s per client address */
	struct ratelimit *event_limit;   /* POST /v1/events per token name */
	atomic_int stopping;
};

#endif
