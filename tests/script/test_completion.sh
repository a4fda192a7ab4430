#!/bin/bash
# test_completion.sh: deploy/bash-completion/postroute against the CLI itself.
#
# Loads bash-completion and the file, completes command lines the way bash
# does (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT) and compares the
# candidates with what `postroute --help` and every `postroute VERB --help`
# of the built CLI ($POSTROUTE_BINDIR) list: every verb, every noun's verbs,
# every option of every verb and the common ones (--token is refused by the
# CLI, so it is not offered), nothing else.
set -u
export LC_ALL=C

src=${POSTROUTE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bindir=${POSTROUTE_BINDIR:-$src/bin}
# shellcheck source=tests/lib/shtest.sh
. "$src/tests/lib/shtest.sh"

cli=$bindir/postroute
work=$(mktemp -d "${POSTROUTE_TMP:-/tmp}/completion.XXXXXX")
trap 'rm -rf "$work"' EXIT

# complete WORD...: the candidates for the last WORD (may be empty), sorted.
complete_line()
{
	bash -c '
		. /usr/share/bash-completion/bash_completion || exit 1
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_postroute postroute "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$src/deploy/bash-completion/postroute" postroute "$@" | sed '/^$/d' | sort -u
}

# The verbs of `postroute --help`, one per line ("relay add" as two words).
help_verbs()
{
	"$cli" --help | sed -n '/^verbs:/,/^$/p' | sed -n 's/^  \([a-z]*\)\( \([a-z]*\)\)\?  .*/\1 \3/p' |
	    sed 's/ $//'
}

# The options of a verb's help: its own and the common ones, without --token.
help_opts()
{
	# shellcheck disable=SC2086
	"$cli" $1 --help | grep -o '^  --[a-z-]*' | sed 's/^  //' | grep -vx -- '--token' | sort -u
}

t_prereq()
{
	[ -x "$cli" ] || st_fail "no CLI at $cli (make first)"
	[ -r /usr/share/bash-completion/bash_completion ] ||
	    st_fail "bash-completion is not installed (deploy/install-deps.sh)"
	bash -n "$src/deploy/bash-completion/postroute" || st_fail "the completion file does not parse"
	help_verbs >"$work/verbs"
	[ "$(wc -l <"$work/verbs")" -gt 10 ] || st_fail "could not read the verbs of postroute --help"
}

t_first_word()
{
	help_verbs | cut -d' ' -f1 | sort -u >"$work/want"
	echo help >>"$work/want"
	sort -u -o "$work/want" "$work/want"
	complete_line "" >"$work/got"
	diff -u "$work/want" "$work/got" >"$work/diff" ||
	    { sed 's/^/      | /' "$work/diff"; st_fail "first word: verbs differ (- postroute --help, + completion)"; }
	st_eq "completion of fl" flip "$(complete_line fl)"
}

t_noun_verbs()
{
	local noun
	for noun in $(help_verbs | awk 'NF == 2 { print $1 }' | sort -u); do
		help_verbs | awk -v n="$noun" '$1 == n { print $2 }' | sort -u >"$work/want"
		complete_line "$noun" "" >"$work/got"
		diff -u "$work/want" "$work/got" >"$work/diff" ||
		    { sed 's/^/      | /' "$work/diff"; st_fail "postroute $noun: verbs differ (- help, + completion)"; }
	done
}

t_verb_options()
{
	local verb
	while read -r verb; do
		help_opts "$verb" >"$work/want"
		# shellcheck disable=SC2086
		complete_line $verb -- >"$work/got"
		diff -u "$work/want" "$work/got" >"$work/diff" ||
		    { sed 's/^/      | /' "$work/diff"; st_fail "postroute $verb --: options differ (- help, + completion)"; }
	done <"$work/verbs"
	# options after a positional argument and after an option's value
	help_opts flip >"$work/want"
	complete_line flip google --to relay03 --reason x -- >"$work/got"
	diff -u "$work/want" "$work/got" >"$work/diff" ||
	    { sed 's/^/      | /' "$work/diff"; st_fail "flip google --to relay03 --reason x --: options differ"; }
	# a common option before the verb
	complete_line --json relay add -- >"$work/got"
	grep -qx -- --nexthop "$work/got" || st_fail "--json relay add --: no --nexthop"
}

t_values()
{
	st_eq "--format values" "csv json plain table" "$(complete_line history --format "" | tr '\n' ' ' | sed 's/ $//')"
	st_eq "--role values" "relay server" "$(complete_line node add mx07 --role "" | tr '\n' ' ' | sed 's/ $//')"
	st_eq "after --reason" "" "$(complete_line flip google --reason "")"
	mkdir -p "$work/files" && : >"$work/files/ca-bundle.pem"
	st_eq "--ca-file completes file names" "$work/files/ca-bundle.pem" \
	    "$(complete_line status --ca-file "$work/files/ca-b")"
}

st_case t_prereq
st_case t_first_word
st_case t_noun_verbs
st_case t_verb_options
st_case t_values
st_done
