# Sourced by the benchmarks: the state folder named by $EC2LITE_SHARED_STATE when it is set (the
# AMIs built there stay for the next run, so debian-12 is built once; what the benchmark made goes:
# scripts/shared-state.sh), else a folder of their own, removed on exit (scripts/tmp-state.sh).
# Either way state_cleanup undoes what the benchmark did.
if [ -n "${EC2LITE_SHARED_STATE:-}" ]; then
	. scripts/shared-state.sh
	state_cleanup() { shared_state_cleanup; }
else
	. scripts/tmp-state.sh
	state_cleanup() { tmp_state_cleanup; }
fi
trap 'state_cleanup' EXIT

# wait_for FILE PATTERN SECONDS: until PATTERN shows in FILE (a console log), polled every 0.05 s.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 20)) ]; do
		grep -aq -- "$2" "$1" 2> /dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "timed out waiting for '$2' in $1" >&2
	return 1
}
