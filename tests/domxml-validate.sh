#!/bin/sh
# The golden domain XML (tests/data/domxml/*.xml, what check_domxml compares the generated XML
# with) is valid against libvirt's own domain schema (virt-xml-validate, libvirt-clients),
# <qemu:commandline> and the metadata included. Two broken copies must be refused, so that a
# validator that accepts anything (no schema found, say) cannot make this pass.
# Usage: domxml-validate.sh DIRECTORY-OF-GOLDEN-XML
set -u
dir=${1:?usage: domxml-validate.sh DIRECTORY}
command -v virt-xml-validate > /dev/null || { echo "FAIL virt-xml-validate is missing (libvirt-clients)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
n=0
for f in "$dir"/*.xml; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	if out=$(virt-xml-validate "$f" domain 2>&1); then
		passed=$((passed + 1)); echo "ok   $(basename "$f") is a valid libvirt domain"
	else
		failed=$((failed + 1)); echo "FAIL $(basename "$f"):"; printf '%s\n' "$out" | sed 's/^/  /'
	fi
	# Broken on purpose: a value the schema does not allow, and an element it does not know.
	sed 's/<vcpu placement="static">/<vcpu placement="everywhere">/' "$f" > "$work/value.xml"
	sed 's|<devices>|<devices><flux-capacitor/>|' "$f" > "$work/element.xml"
	for b in value element; do
		if cmp -s "$f" "$work/$b.xml"; then
			failed=$((failed + 1)); echo "FAIL could not break $(basename "$f") ($b)"
		elif virt-xml-validate "$work/$b.xml" domain > /dev/null 2>&1; then
			failed=$((failed + 1)); echo "FAIL a broken copy of $(basename "$f") ($b) validates"
		else
			passed=$((passed + 1)); echo "ok   a broken copy of $(basename "$f") ($b) is refused"
		fi
	done
done
[ "$n" -gt 0 ] || { echo "FAIL no golden XML in $dir"; failed=$((failed + 1)); }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
