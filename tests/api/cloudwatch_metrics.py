"""CloudWatch (AWS/EC2 metrics) through `ec2-lite serve`, with the aws CLI and boto3. Prints one
line per step ("ok ..." or "FAIL ...") and exits 1 when a step failed.

Usage: cloudwatch_metrics.py samples INSTANCE-ID    (the samples the server is given, as JSON)
       cloudwatch_metrics.py test ENDPOINT ACCESS-KEY SECRET PATH-TO-ec2-lite INSTANCE-ID AMI-ID
"""
import datetime
import json
import os
import subprocess
import sys
import time

OTHER = "i-0000000000000000f"  # an instance with disk samples only
# (seconds before the server started, run, CPU nanoseconds, disk bytes read, written) on 2 vCPUs.
# CPUUtilization: 5 %, 5 %, then the guest restarts (no value across runs), 90 %, 99 % (a busy
# loop); DiskReadBytes 1000, 2000, 4000, 500.
SAMPLES = [
    (1500, 1, 0, 0, 0),
    (1200, 1, 30e9, 1000, 100),
    (900, 1, 60e9, 3000, 100),
    (600, 2, 1e9, 10, 0),
    (300, 2, 1e9 + 540e9, 4010, 50),
    (5, 2, 1e9 + 540e9 + 0.99 * 295 * 2e9, 4510, 50),
]
CPU = [5.0, 5.0, 90.0, 99.0]
READ = [1000.0, 2000.0, 4000.0, 500.0]

if sys.argv[1] == "samples":
    out = [{"InstanceId": sys.argv[2], "Ago": a, "Run": r, "Vcpus": 2, "CpuTime": int(c),
            "DiskReadBytes": rd, "DiskWriteBytes": wr} for a, r, c, rd, wr in SAMPLES]
    out += [{"InstanceId": OTHER, "Ago": a, "DiskReadBytes": 10000 - a} for a in (900, 600)]
    print(json.dumps(out))
    sys.exit(0)

import boto3  # noqa: E402
import botocore.config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

endpoint, key_id, secret, binary, iid, ami = sys.argv[2:8]
failed = 0
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
START, END = now - datetime.timedelta(hours=3), now + datetime.timedelta(minutes=1)
DIMS = [{"Name": "InstanceId", "Value": iid}]


def step(name, cond, detail=""):
    global failed
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": %s" % (detail,)), flush=True)
    failed += 0 if cond else 1


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def aws(*args):
    """`aws cloudwatch ...` through the server: (exit status, parsed JSON or stderr)."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="", AWS_MAX_ATTEMPTS="1")
    p = subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "--output", "json",
                        "cloudwatch"] + list(args), capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return p.returncode, p.stderr
    return 0, json.loads(p.stdout) if p.stdout.strip() else None


def stats(metric, period, *more, start=START, end=END, dims=True):
    return aws("get-metric-statistics", "--namespace", "AWS/EC2", "--metric-name", metric,
               *(["--dimensions", "Name=InstanceId,Value=" + iid] if dims else []),
               "--start-time", iso(start), "--end-time", iso(end), "--period", str(period),
               *more)


def close(a, b):
    return len(a) == len(b) and all(abs(x - y) < 1e-6 for x, y in zip(a, b))


def code(fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], \
            e.response["Error"]["Message"]
    return None


# ---- get-metric-statistics: values ----
rc, out = stats("CPUUtilization", 60, "--statistics", "Average", "Maximum", "Minimum", "Sum",
                "SampleCount")
dps = out["Datapoints"] if rc == 0 else []
step("aws cloudwatch get-metric-statistics CPUUtilization: a datapoint per value, oldest first",
     rc == 0 and out["Label"] == "CPUUtilization" and
     close([d["Average"] for d in dps], CPU) and close([d["Maximum"] for d in dps], CPU) and
     close([d["Sum"] for d in dps], CPU) and [d["SampleCount"] for d in dps] == [1.0] * 4 and
     all(d["Unit"] == "Percent" for d in dps) and
     [d["Timestamp"] for d in dps] == sorted(d["Timestamp"] for d in dps), out)
step("CPU utilisation of a guest running a busy loop rises",
     len(dps) == 4 and dps[-1]["Average"] > 90 and dps[0]["Average"] < 10, dps)
step("datapoints as CloudWatch's: the statistics asked for, whole minutes",
     rc == 0 and all(sorted(d) == ["Average", "Maximum", "Minimum", "SampleCount", "Sum",
                                   "Timestamp", "Unit"] for d in dps) and
     all(d["Timestamp"].endswith(":00+00:00") for d in dps), dps)
rc, out = stats("CPUUtilization", 3720, "--statistics", "Sum", "SampleCount",
                start=now - datetime.timedelta(hours=1))
step("period 3720 s: one datapoint of the four values", rc == 0 and len(out["Datapoints"]) == 1 and
     out["Datapoints"][0]["SampleCount"] == 4 and abs(out["Datapoints"][0]["Sum"] - 199) < 1e-6,
     out)
rc, out = stats("DiskReadBytes", 3720, "--extended-statistics", "p50", "p75", "p100",
                start=now - datetime.timedelta(hours=1))
ext = out["Datapoints"][0].get("ExtendedStatistics") if rc == 0 and out["Datapoints"] else None
step("extended statistics (percentiles by nearest rank), Unit Bytes",
     ext == {"p50": 1000.0, "p75": 2000.0, "p100": 4000.0} and
     out["Datapoints"][0]["Unit"] == "Bytes" and "Average" not in out["Datapoints"][0], out)
rc, out = stats("DiskReadBytes", 60, "--statistics", "Sum")
step("DiskReadBytes: the bytes between samples, none across the restart",
     rc == 0 and close([d["Sum"] for d in out["Datapoints"]], READ), out)
rc, out = stats("DiskWriteBytes", 60, "--statistics", "Sum")
step("DiskWriteBytes: a counter that goes back with the restart gives no value",
     rc == 0 and close([d["Sum"] for d in out["Datapoints"]], [100.0, 0.0, 50.0, 0.0]), out)
rc, out = stats("CPUUtilization", 60, "--statistics", "Average",
                start=now - datetime.timedelta(seconds=1000), end=now - datetime.timedelta(
                    seconds=200))
step("the time range: values in [StartTime, EndTime) only", rc == 0 and
     close([d["Average"] for d in out["Datapoints"]], [5.0, 90.0]), out)

for what, args in [
        ("NetworkIn (no counter libvirt sees for a user-mode NIC)",
         ["NetworkIn", 60, "--statistics", "Average"]),
        ("a metric EC2 has but ec2-lite does not sample (StatusCheckFailed)",
         ["StatusCheckFailed", 60, "--statistics", "Maximum"]),
        ("another unit (--unit Bytes of a Percent metric)",
         ["CPUUtilization", 60, "--statistics", "Average", "--unit", "Bytes"])]:
    rc, out = stats(*args)
    step("no datapoints: " + what, rc == 0 and out["Datapoints"] == [], out)
rc, out = stats("CPUUtilization", 60, "--statistics", "Average", dims=False)
step("no datapoints: no InstanceId dimension", rc == 0 and out["Datapoints"] == [], out)
rc, out = aws("get-metric-statistics", "--namespace", "AWS/EBS", "--metric-name",
              "CPUUtilization", "--dimensions", "Name=InstanceId,Value=" + iid, "--start-time",
              iso(START), "--end-time", iso(END), "--period", "60", "--statistics", "Average")
step("no datapoints: another namespace", rc == 0 and out == {"Label": "CPUUtilization",
                                                              "Datapoints": []}, out)

# ---- get-metric-statistics: CloudWatch's errors ----
for what, args, want in [
        ("Period 45", ["CPUUtilization", 45, "--statistics", "Average"],
         "(InvalidParameterValue)"),
        ("StartTime after EndTime", ["CPUUtilization", 60, "--statistics", "Average",
                                     "--start-time", iso(END), "--end-time", iso(START)],
         "(InvalidParameterValue)"),
        ("1441 datapoints", ["CPUUtilization", 1, "--statistics", "Average",
                             "--start-time", iso(now - datetime.timedelta(seconds=1441)),
                             "--end-time", iso(now)],
         "(InvalidParameterCombination) when calling the GetMetricStatistics operation"
         " (reached max retries: 0): You have requested up to 1441 datapoints, which exceeds the"
         " limit of 1440."),
        ("an unknown statistic", ["CPUUtilization", 60, "--statistics", "Median"],
         "(InvalidParameterValue) when calling the GetMetricStatistics operation (reached max "
         "retries: 0): The parameter Statistics.member.1 must be a value in the set"),
        ("an unknown extended statistic", ["CPUUtilization", 60, "--extended-statistics",
                                           "tm99"], "(InvalidParameterValue)"),
        ("Statistics and ExtendedStatistics", ["CPUUtilization", 60, "--statistics", "Average",
                                               "--extended-statistics", "p90"],
         "(InvalidParameterCombination)"),
        ("neither Statistics nor ExtendedStatistics", ["CPUUtilization", 60],
         "(InvalidParameterCombination)")]:
    if "--start-time" in args:
        rc, out = aws("get-metric-statistics", "--namespace", "AWS/EC2", "--metric-name",
                      args[0], "--period", str(args[1]), *args[2:])
    else:
        rc, out = stats(*args)
    step("get-metric-statistics, %s: %s" % (what, want.split(")")[0] + ")"),
         rc != 0 and want in out, out)

# ---- get-metric-data ----
queries = [{"Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/EC2",
                                                   "MetricName": "CPUUtilization",
                                                   "Dimensions": DIMS},
                                        "Period": 1, "Stat": "Average"}},
           {"Id": "rd", "Label": "reads", "MetricStat": {
               "Metric": {"Namespace": "AWS/EC2", "MetricName": "DiskReadBytes",
                          "Dimensions": DIMS}, "Period": 60, "Stat": "p100"}},
           {"Id": "hidden", "ReturnData": False, "MetricStat": {
               "Metric": {"Namespace": "AWS/EC2", "MetricName": "DiskReadBytes",
                          "Dimensions": DIMS}, "Period": 60, "Stat": "Sum"}},
           {"Id": "net", "MetricStat": {"Metric": {"Namespace": "AWS/EC2",
                                                   "MetricName": "NetworkOut",
                                                   "Dimensions": DIMS},
                                        "Period": 300, "Stat": "Sum"}}]
rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps(queries), "--start-time",
              iso(START), "--end-time", iso(END))
res = {r["Id"]: r for r in out["MetricDataResults"]} if rc == 0 else {}
step("aws cloudwatch get-metric-data: the results asked for, in order, newest first",
     rc == 0 and [r["Id"] for r in out["MetricDataResults"]] == ["cpu", "rd", "net"] and
     close(res["cpu"]["Values"], CPU[::-1]) and res["cpu"]["Label"] == "CPUUtilization" and
     res["cpu"]["Timestamps"] == sorted(res["cpu"]["Timestamps"], reverse=True) and
     close(res["rd"]["Values"], READ[::-1]) and res["rd"]["Label"] == "reads" and
     res["net"]["Values"] == [] and res["net"]["Timestamps"] == [] and
     all(r["StatusCode"] == "Complete" for r in res.values()) and out["Messages"] == [], out)
rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps(queries[:1]),
              "--start-time", iso(START), "--end-time", iso(END), "--scan-by",
              "TimestampAscending")
step("get-metric-data --scan-by TimestampAscending", rc == 0 and
     close(out["MetricDataResults"][0]["Values"], CPU), out)
rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps(queries[:1]),
              "--start-time", iso(START), "--end-time", iso(END), "--max-datapoints", "2")
step("get-metric-data --max-datapoints 2: the newest two, PartialData", rc == 0 and
     close(out["MetricDataResults"][0]["Values"], CPU[:1:-1]) and
     out["MetricDataResults"][0]["StatusCode"] == "PartialData", out)
bad = [dict(queries[0], MetricStat=dict(queries[0]["MetricStat"], Stat="Median"))]
rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps(bad), "--start-time",
              iso(START), "--end-time", iso(END))
step("get-metric-data, an unknown Stat: ValidationError", rc != 0 and "(ValidationError)" in out
     and "MetricDataQueries.member.1.MetricStat.Stat is not a valid statistic" in out, out)
for what, q in [("an Id with a capital first", dict(queries[0], Id="Cpu")),
                ("Period 7", dict(queries[0], MetricStat=dict(queries[0]["MetricStat"],
                                                              Period=7))),
                ("an Expression", {"Id": "e", "Expression": "SUM(METRICS())"})]:
    rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps([q]), "--start-time",
                  iso(START), "--end-time", iso(END))
    step("get-metric-data, %s: ValidationError" % what, rc != 0 and "(ValidationError)" in out,
         out)
rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps(queries[:1] * 2),
              "--start-time", iso(START), "--end-time", iso(END))
step("get-metric-data, the same Id twice: ValidationError", rc != 0 and "not unique" in out, out)
rc, out = aws("get-metric-data", "--metric-data-queries", json.dumps(queries[:1]),
              "--start-time", iso(START), "--end-time", iso(START))
step("get-metric-data, StartTime equal to EndTime: ValidationError", rc != 0 and
     "The parameter StartTime must not equal parameter EndTime." in out, out)

# ---- list-metrics ----
rc, out = aws("list-metrics")
got = sorted((m["MetricName"], m["Dimensions"][0]["Value"]) for m in out["Metrics"]) \
    if rc == 0 else out
step("aws cloudwatch list-metrics: the metrics with values, per instance",
     got == sorted([("CPUUtilization", iid), ("DiskReadBytes", iid), ("DiskWriteBytes", iid),
                    ("DiskReadBytes", OTHER)]) and
     all(m["Namespace"] == "AWS/EC2" and m["Dimensions"][0]["Name"] == "InstanceId"
         for m in out["Metrics"]), out)
rc, out = aws("list-metrics", "--namespace", "AWS/EC2", "--metric-name", "DiskReadBytes",
              "--dimensions", "Name=InstanceId,Value=" + OTHER)
step("list-metrics by name and dimension value", rc == 0 and out["Metrics"] == [
    {"Namespace": "AWS/EC2", "MetricName": "DiskReadBytes",
     "Dimensions": [{"Name": "InstanceId", "Value": OTHER}]}], out)
rc, out = aws("list-metrics", "--dimensions", "Name=ImageId")
step("list-metrics by a dimension the metrics do not have: none", rc == 0 and
     out["Metrics"] == [], out)
rc, out = aws("list-metrics", "--namespace", "AWS/EBS")
step("list-metrics of another namespace: none", rc == 0 and out["Metrics"] == [], out)
rc, out = aws("list-metrics", "--recently-active", "PT3H", "--metric-name", "CPUUtilization")
step("list-metrics --recently-active PT3H", rc == 0 and len(out["Metrics"]) == 1, out)

# ---- boto3 ----
cfg = botocore.config.Config(retries={"max_attempts": 1})
owner = {"aws_access_key_id": key_id, "aws_secret_access_key": secret}


def client(service, creds):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=cfg,
                        **creds)


cw = client("cloudwatch", owner)
out = cw.get_metric_statistics(Namespace="AWS/EC2", MetricName="CPUUtilization", Dimensions=DIMS,
                               StartTime=START, EndTime=END, Period=60, Statistics=["Average"])
step("boto3 get_metric_statistics: datetimes back",
     close([d["Average"] for d in out["Datapoints"]], CPU) and
     all(isinstance(d["Timestamp"], datetime.datetime) for d in out["Datapoints"]) and
     START <= out["Datapoints"][0]["Timestamp"] <= now, out)
pages = list(cw.get_paginator("get_metric_data").paginate(
    MetricDataQueries=queries[:2], StartTime=START, EndTime=END))
step("boto3 get_metric_data paginator: one page", len(pages) == 1 and
     close(pages[0]["MetricDataResults"][0]["Values"], CPU[::-1]), pages)
got = code(cw.get_metric_statistics, Namespace="AWS/EC2", MetricName="CPUUtilization",
           StartTime=START, EndTime=END, Period=90, Statistics=["Average"])
step("boto3: Period 90, InvalidParameterValue 400", got and got[:2] ==
     ("InvalidParameterValue", 400), got)
step("boto3 list_metrics", len(cw.list_metrics(MetricName="CPUUtilization")["Metrics"]) == 1)

# ---- an instance's role credentials: cloudwatch:* in the role's policies ----
iam = client("iam", owner)
iam.create_role(RoleName="mon", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
iam.put_role_policy(RoleName="mon", PolicyName="p", PolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "cloudwatch:GetMetric*", "Resource": "*"}]}))
# An instance of the server's (the sampler reads its statistics: the test driver has none).
mon = client("ec2", owner).run_instances(ImageId=ami, MinCount=1, MaxCount=1)["Instances"][0][
    "InstanceId"]
p = subprocess.run([binary, "iam", "issue-instance-credentials", "--instance-id", mon,
                    "--role-name", "mon"], capture_output=True, text=True)
c = json.loads(p.stdout)
role = client("cloudwatch", {"aws_access_key_id": c["AccessKeyId"],
                             "aws_secret_access_key": c["SecretAccessKey"],
                             "aws_session_token": c["Token"]})
got = code(role.get_metric_statistics, Namespace="AWS/EC2", MetricName="CPUUtilization",
           StartTime=START, EndTime=END, Period=60, Statistics=["Average"])
step("role mon (cloudwatch:GetMetric*): GetMetricStatistics allowed", got is None, got)
got = code(role.list_metrics)
step("role mon: ListMetrics refused, AccessDenied 403", got and got[:2] == ("AccessDenied", 403)
     and ("assumed-role/mon/%s is not authorized to perform: cloudwatch:ListMetrics" % mon)
     in got[2], got)
time.sleep(2.5)  # the sampler's passes (every second) over the running instance
out = cw.list_metrics(Dimensions=[{"Name": "InstanceId", "Value": mon}])
step("the sampler on the test driver (no statistics): no values of its own", out["Metrics"] == [],
     out)

sys.exit(1 if failed else 0)
