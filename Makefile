# The README's two commands. Both install what is missing, start libvirt's daemons when they are
# not running, and build into build/ (scripts/setup.sh).
# `make test` fails when ctest finds no test to run (--no-tests=error); CTEST_ARGS adds to its
# arguments (e.g. CTEST_ARGS='-L unit').
.PHONY: demo test setup clean

CTEST_ARGS =

demo: setup
	sh scripts/demo.sh

test: setup
	cd build && ctest --output-on-failure --no-tests=error -j2 $(CTEST_ARGS)

setup:
	sh scripts/setup.sh

clean:
	rm -rf build
