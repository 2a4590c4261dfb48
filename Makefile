# The README's two commands. Both install what is missing, start libvirt's daemons when they are
# not running, and build into build/ (scripts/setup.sh).
.PHONY: demo test setup clean

demo: setup
	sh scripts/demo.sh

test: setup
	cd build && ctest --output-on-failure -j2

setup:
	sh scripts/setup.sh

clean:
	rm -rf build
