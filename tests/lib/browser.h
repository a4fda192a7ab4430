/*
 * browser.h: a headless Chromium for integration tests, driven through
 * tests/browser/uidriver.py (Debian's chromium, chromedriver and
 * python3-selenium) as a child process speaking one JSON line per command.
 *
 * Each call waits for the driver's answer at most a bounded time and fails
 * the test (cmocka fail_msg) on a refused command, a timeout or a driver
 * that died, showing the page's text and the end of the driver's log.
 * Nothing here sleeps for time: browser_wait polls a JavaScript condition
 * in the page until it holds or its timeout ends.
 */
#ifndef POSTROUTE_BROWSER_H
#define POSTROUTE_BROWSER_H

#include <jansson.h>

struct browser;

/* Starts the browser with a fresh profile under the run's temp dir. */
struct browser *browser_start(void);
/* Loads url as a new document. */
void browser_open(struct browser *b, const char *url);
/* The value of the JavaScript expression js in the page (a new reference). */
json_t *browser_eval(struct browser *b, const char *js);
/* The value of js as a new string (JSON text for a non-string). */
char *browser_eval_text(struct browser *b, const char *js);
/* Waits until js is truthy, at most timeout_s seconds, else fails the test
 * saying what: returns the seconds it took. */
double browser_wait(struct browser *b, const char *js, int timeout_s, const char *what);
/* Types text into the element that the CSS selector css names; clicks one. */
void browser_type(struct browser *b, const char *css, const char *text);
void browser_click(struct browser *b, const char *css);
/* The console's messages since the last call (a new JSON array). */
json_t *browser_console(struct browser *b);
/* Quits the browser and the driver. */
void browser_stop(struct browser *b);

#endif
