/*
 * connguard.h: the request deadline of every HTTP connection.
 *
 * A client has [server] request_timeout to send a whole request (request
 * line, headers and body), counted from the moment its connection opens
 * and again from the end of each answer on a kept-alive connection. This
 * is a deadline, not an idle timeout: a client that trickles one byte
 * every few seconds is dropped all the same. Once the request is whole the
 * clock stops, so a feed request waiting for a change (a suspended
 * connection) is never cut by it.
 *
 * This module owns one record per open connection (the connection's
 * libmicrohttpd socket context, made at MHD_CONNECTION_NOTIFY_STARTED and
 * freed at _CLOSED) and a sweeper thread that, four times a second, shuts
 * down (shutdown(2), never close) the socket of each connection past its
 * deadline; libmicrohttpd then sees the end of the stream and closes the
 * connection itself. It also counts the open connections of each IPv6
 * /64 (a table of the /64s that have one open, so bounded by the
 * connections) and shuts down at once one over [server]
 * max_connections_per_ip: libmicrohttpd's own cap counts each IPv6
 * address apart. The record list and every deadline are under one
 * mutex; libmicrohttpd closes a socket only after its _CLOSED
 * notification, which takes that mutex, so the sweeper never touches a
 * descriptor that is gone.
 */
#ifndef POSTROUTE_CONNGUARD_H
#define POSTROUTE_CONNGUARD_H

#include <microhttpd.h>

struct connguard;

/* Starts the sweeper; timeout_ms is the deadline; per_prefix caps the
 * connections of one IPv6 /64 ([server] max_connections_per_ip; 0: none):
 * one more is shut down as soon as it starts. */
struct connguard *connguard_new(long long timeout_ms, long long per_prefix);
/* Stops the sweeper; call after the daemon is stopped. */
void connguard_free(struct connguard *g);

/* For MHD_OPTION_NOTIFY_CONNECTION. */
void connguard_notify(struct connguard *g, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode code);

/* The request is whole: stops the clock. Returns -1 when the sweeper has
 * shut the connection down already (drop it), else 0. */
int connguard_received(struct connguard *g, struct MHD_Connection *conn);
/* 1 when the sweeper has shut the connection down (stop reading it). */
int connguard_dropped_conn(struct connguard *g, struct MHD_Connection *conn);
/* An answer is done: the next request on the connection gets a new deadline. */
void connguard_rearm(struct connguard *g, struct MHD_Connection *conn);

#endif
