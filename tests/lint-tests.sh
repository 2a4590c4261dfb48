#!/bin/sh
# Lint of the shell tests: no `check NAME ... && ...` (or `|| ...`) outside a quoted string. The
# shell hands `check` only what comes before the `&&`, so in `check NAME [ a ] && [ b ]` the
# condition b decides nothing: it is asserted by nobody and the test cannot fail on it. Write the
# whole condition as one string, check NAME '[ a ] && [ b ]' (tests/vm/lib.sh), or sh -c "...".
# Each script is read as the shell reads it, roughly: lines joined at a trailing backslash,
# here-documents skipped, quoted strings, $(...) and `...` blanked out, comments dropped; then in
# what is left, a `check` or `check_fails` command followed by && or || in the same list fails.
# Usage: lint-tests.sh DIRECTORY (every *.sh below it)
set -u
dir=${1:?usage: lint-tests.sh DIRECTORY}
files=$(find "$dir" -name '*.sh' | sort)
[ -n "$files" ] || { echo "no shell scripts under $dir"; exit 1; }
# shellcheck disable=SC2086 # one name per line, no spaces in the test tree's names
awk '
function skeleton(s,    out, i, c, n, stack, top, d) {
	# stack of contexts: "" top level, "q" in "...", "s" in '"'"'...'"'"', "c" in $(...), "b" in `...`
	top = 0; stack[0] = ""; out = ""; n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1); d = substr(s, i, 2)
		if (stack[top] == "s") {
			if (c == "'"'"'") top--
			out = out "x"; continue
		}
		if (c == "\\") { out = out "xx"; i++; continue }
		if (stack[top] == "q") {
			if (c == "\"") { top--; out = out "x"; continue }
			if (d == "$(") { stack[++top] = "c"; out = out "xx"; i++; continue }
			if (c == "`") { stack[++top] = "b"; out = out "x"; continue }
			out = out "x"; continue
		}
		# top level, in $(...) or in `...`
		if (c == "#" && (i == 1 || substr(s, i - 1, 1) ~ /[ \t;&|(]/) && stack[top] != "b") {
			if (top == 0) break
			# a comment inside $(...) runs to the end of the line: rare in tests, skip it
			break
		}
		if (c == "'"'"'") { stack[++top] = "s"; out = out "x"; continue }
		if (c == "\"") { stack[++top] = "q"; out = out "x"; continue }
		if (d == "$(") { stack[++top] = "c"; out = out "xx"; i++; continue }
		if (c == "`") {
			if (stack[top] == "b") top--; else stack[++top] = "b"
			out = out "x"; continue
		}
		if (stack[top] == "c" && c == "(") { stack[++top] = "c"; out = out "x"; continue }
		if (stack[top] == "c" && c == ")") { top--; out = out "x"; continue }
		out = out (top ? "x" : c)
	}
	return out
}
FNR == 1 { heredoc = ""; logical = ""; start = 0 }
heredoc != "" {
	line = $0
	if (strip_tabs) sub(/^\t+/, "", line)
	if (line == heredoc) heredoc = ""
	next
}
{
	if (logical == "") start = FNR
	line = $0
	if (line ~ /\\$/) { logical = logical substr(line, 1, length(line) - 1) " "; next }
	logical = logical line
	sk = skeleton(logical)
	# A here-document starts after this line: <<WORD, <<-WORD, quoted or not (blanked to x...).
	if (match(logical, /<<-?[ \t]*["'"'"']?[A-Za-z_][A-Za-z_0-9]*/)) {
		w = substr(logical, RSTART, RLENGTH)
		if (substr(sk, RSTART, 2) == "<<") {
			strip_tabs = (w ~ /^<<-/)
			sub(/^<<-?[ \t]*["'"'"']?/, "", w)
			heredoc = w
		}
	}
	rest = sk
	while (match(rest, /(^|[;&|({])[ \t]*((then|do|else|elif|if|while|until|!)[ \t]+)*check(_fails)?[ \t]/)) {
		rest = substr(rest, RSTART + RLENGTH)
		cmd = rest
		if (match(cmd, /[;)}]|[^&|]&[^&]|^&[^&]/)) cmd = substr(cmd, 1, RSTART)
		if (cmd ~ /&&|\|\|/) {
			printf "%s:%d: check ... && / || ...: only the part before && or || is checked; give the whole condition as one string\n  %s\n", FILENAME, start, logical
			bad++
			break
		}
	}
	logical = ""
}
END { exit bad ? 1 : 0 }
' $files
