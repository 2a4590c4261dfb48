#!/bin/sh
# Clients other than botocore's EC2 client against `ec2-lite serve` (libvirt's test driver, no
# VM): Apache Libcloud (Signature Version 2, lists numbered from 0) through tests/api/clients.py,
# and STS's GetCallerIdentity through the aws CLI and boto3, for a root key and a key with a user.
# Usage: clients.sh PATH-TO-ec2-lite
set -u
bin=${1:?usage: clients.sh PATH-TO-ec2-lite}
here=$(cd "$(dirname "$0")" && pwd)
state=$(mktemp -d)
export EC2_LITE_STATE_DIR="$state" EC2_LITE_CONNECT=test:///default
log="$state/serve.log"
# The account, and a key with a user in config.json beside the environment's (one with a user).
cat > "$state/config.json" << 'JSON'
{"owner-id": "123456789012",
 "access-keys": [{"AccessKeyId": "AKIDEC2LITECAROL", "SecretAccessKey": "carol-secret", "UserName": "carol"}]}
JSON
. "$here/lib.sh"
start_server AKIDEC2LITETEST ec2-lite-test-secret AKIDEC2LITEBOB:bob-secret:bob
trap 'stop_server; rm -rf "$state"' EXIT
rc=0
check() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then
		echo "ok   $1: $2"
	else
		echo "FAIL $1: $2, not $3"
		rc=1
	fi
}
sts() { /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" --output json sts "$@"; }
check "aws sts get-caller-identity (root key)" \
	"$(sts get-caller-identity | jq -r '[.Account, .Arn, .UserId] | join(" ")')" \
	"123456789012 arn:aws:iam::123456789012:root 123456789012"
bob=$(AWS_ACCESS_KEY_ID=AKIDEC2LITEBOB AWS_SECRET_ACCESS_KEY=bob-secret sts get-caller-identity)
check "aws sts get-caller-identity (a key with a user)" \
	"$(printf '%s' "$bob" | jq -r '[.Account, .Arn] | join(" ")')" \
	"123456789012 arn:aws:iam::123456789012:user/bob"
check "its UserId is an IAM user's" "$(printf '%s' "$bob" | jq -r .UserId | grep -Ec '^AIDA[A-Z2-7]{17}$')" 1
again=$(AWS_ACCESS_KEY_ID=AKIDEC2LITEBOB AWS_SECRET_ACCESS_KEY=bob-secret sts get-caller-identity | jq -r .UserId)
check "the same UserId each time" "${again:-none}" "$(printf '%s' "$bob" | jq -r .UserId)"
check "aws sts get-caller-identity (config.json's key with a user)" \
	"$(AWS_ACCESS_KEY_ID=AKIDEC2LITECAROL AWS_SECRET_ACCESS_KEY=carol-secret sts get-caller-identity | jq -r .Arn)" \
	"arn:aws:iam::123456789012:user/carol"
out=$(AWS_SECRET_ACCESS_KEY=wrong sts get-caller-identity 2>&1)
check "aws sts with a wrong secret" "$(printf '%s' "$out" | grep -c 'SignatureDoesNotMatch')" 1
/usr/bin/python3 "$here/clients.py" "$port" "$key_id" "$secret" || rc=1
exit $rc
