/*
 * confpath.c: the default configuration file when -c is not given (see
 * confpath.h).
 */
#include "confpath.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *
confpath_pick(const char *given, const char *deflt, struct strbuf *err)
{
	if (given != NULL)
		return given;
	if (access(deflt, F_OK) == 0)
		return deflt;
	strbuf_appendf(err, "no configuration file: %s: %s (give one with -c FILE)",
	    deflt, strerror(errno));
	return NULL;
}
