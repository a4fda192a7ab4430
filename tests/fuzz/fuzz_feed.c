/*
 * fuzz_feed.c: libFuzzer target for what the agent takes from the
 * controller: the feed body, then the transport and hold maps rendered
 * from it.
 *
 * Invariant: whatever feed_parse, render_transport and holdmap_render
 * accept comes out as whole lines of printable ASCII, each a comment or
 * exactly two fields (key, TAB, value) with no '#' or ',' in them; and
 * nothing crashes or leaks on any body.
 *   make fuzz FUZZ=feed FUZZ_SECONDS=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "holdmap.h"
#include "render.h"
#include "strbuf.h"

static void
check_map(const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int tabs = 0;
		if (nl == NULL)
			abort();                 /* every line ends with a line break */
		if (*p != '#') {
			for (const char *c = p; c < nl; c++) {
				unsigned char u = (unsigned char)*c;
				if (u == '\t')
					tabs++;
				else if (u <= 0x20 || u >= 0x7f || u == '#' || u == ',')
					abort();
			}
			if (tabs != 1)
				abort();
		} else {
			for (const char *c = p; c < nl; c++)
				if ((unsigned char)*c < 0x20 && *c != '\t')
					abort();
		}
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1);
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT, hold = STRBUF_INIT;
	struct feed f;

	memcpy(body, data, size);
	body[size] = '\0';
	if (feed_parse(body, "mx01", &f, &err) == 0) {
		if (render_transport("mx01", f.version, f.entries, f.n, &text, &err) == 0)
			check_map(strbuf_str(&text));
		if (holdmap_render("mx01", f.version, f.holds, f.nholds, &hold, &err) == 0)
			check_map(strbuf_str(&hold));
		feed_clear(&f);
	}
	strbuf_clear(&err);
	strbuf_clear(&text);
	strbuf_clear(&hold);
	free(body);
	return 0;
}
