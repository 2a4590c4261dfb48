# Shared by the API tests and scripts/bench-api.sh (sourced): starts `ec2-lite serve` on a
# loopback port of this process's with one access key, and points the Debian aws CLI at it.
# Needs: $bin, $log (where the server's output goes). Sets: $port, $server, $key_id, $secret,
# and aws() (`aws ec2 ...` through the server, signed, JSON out).
# start_server KEY-ID SECRET [MORE-KEYS]: starts it and waits until it answers (10 s at most);
# MORE-KEYS are further keys as EC2_LITE_ACCESS_KEYS writes them (ID:SECRET[:USER],...).
# The port is this process's (20000 + PID % 20000), or the next one that nothing answers on:
# tests run beside each other (ctest -j2, and sanitize's copies beside the guest tests), and a
# server of another test on the same port would otherwise answer in this one's place.
start_server() {
	key_id=$1 secret=$2
	port=$((20000 + $$ % 20000))
	i=0
	while curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/" && [ $i -lt 20 ]; do
		port=$((20000 + (port - 20000 + 1) % 20000))
		i=$((i + 1))
	done
	EC2_LITE_ACCESS_KEYS="$key_id:$secret${3:+,$3}" "$bin" serve --listen "127.0.0.1:$port" > "$log" 2>&1 &
	server=$!
	# The aws CLI of the Debian package, with no user configuration in the way.
	export AWS_ACCESS_KEY_ID="$key_id" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
	export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER="" AWS_MAX_ATTEMPTS=1
	i=0
	until curl -s -o /dev/null "http://127.0.0.1:$port/" || [ $i -ge 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}
stop_server() {
	kill "$server" 2> /dev/null
	wait "$server" 2> /dev/null
}
aws() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" --output json ec2 "$@"; }
