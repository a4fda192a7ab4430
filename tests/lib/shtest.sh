# shellcheck shell=bash
# shtest.sh: test cases for the shell tests in tests/script/, sourced.
#
# st_case FUNC runs the function FUNC in a subshell and prints cmocka's
# "[ RUN      ] FUNC" and "[       OK ] FUNC" or "[  FAILED  ] FUNC" lines,
# which tests/run.sh counts. Inside a case, every check ends it with
# st_fail MESSAGE (naming what is wrong) when it does not hold: `set -e`
# does not apply in a function whose status is tested, so checks are
# written `cond || st_fail "..."`. st_done returns non-zero if any case
# failed.

st_failed=0

st_fail()
{
	printf '    FAIL: %s\n' "$*"
	exit 1
}

# st_eq WHAT EXPECTED ACTUAL
st_eq()
{
	[ "$2" = "$3" ] || st_fail "$1: expected \"$2\", got \"$3\""
}

# st_contains WHAT FILE TEXT: FILE holds the fixed string TEXT.
st_contains()
{
	grep -qF -- "$3" "$2" || { sed 's/^/      | /' "$2" | tail -20; st_fail "$1: no \"$3\" in $2"; }
}

# st_lacks WHAT FILE TEXT: FILE does not hold the fixed string TEXT.
st_lacks()
{
	! grep -qF -- "$3" "$2" || { grep -nF -- "$3" "$2" | sed 's/^/      | /'; st_fail "$1: \"$3\" in $2"; }
}

st_case()
{
	printf '[ RUN      ] %s\n' "$1"
	if ("$1"); then
		printf '[       OK ] %s\n' "$1"
	else
		printf '[  FAILED  ] %s\n' "$1"
		st_failed=$((st_failed + 1))
	fi
}

st_done()
{
	[ "$st_failed" -eq 0 ]
}
