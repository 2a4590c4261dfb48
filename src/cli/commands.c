/* The command table: every ec2-lite command, its options and its handler. Help and usage are
 * generated from it, so they cannot drift from the code. Names and flags are the aws ec2 CLI's;
 * each option maps to the EC2 parameter the model reads. A command that only parses, calls its
 * model action and prints has no file of its own; one with behaviour of its own has a
 * src/cli/cmd-<name>.c. */
#include "cli.h"
#include "ec2lite/secgroup.h"
#include "ec2lite/tags.h"
#include "ec2lite/timeline.h"

#define END { NULL, NULL, OPT_STRING, false, NULL }

static const struct cli_opt filters_opt = {
	"filters", "Filters", OPT_STRUCT_LIST, false,
	"Name=FILTER,Values=V1,V2 ... (EC2 filter names; * and ? match any characters)"
};

static const struct cli_opt run_instances_opts[] = {
	{ "image-id", "ImageId", OPT_STRING, true, "the AMI to launch" },
	{ "instance-type", "InstanceType", OPT_STRING, false,
	  "the instance type (default t2.micro); see describe-instance-types" },
	{ "count", "MinCount", OPT_COUNT, false,
	  "how many instances: N, or MIN:MAX to launch as many as fit between the two" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=instance,Tags=[{Key=K,Value=V},...]" },
	{ "hibernation-options", "HibernationOptions", OPT_STRUCT, false,
	  "Configured=true enables stop-instances --hibernate" },
	{ "instance-initiated-shutdown-behavior", "InstanceInitiatedShutdownBehavior", OPT_STRING,
	  false, "stop (default) or terminate: what a shutdown from inside the guest does" },
	{ "disable-api-termination", "DisableApiTermination", OPT_BOOL, false,
	  "terminate-instances refuses the instances (modify-instance-attribute lifts it)" },
	{ "disable-api-stop", "DisableApiStop", OPT_BOOL, false,
	  "stop-instances refuses the instances (modify-instance-attribute lifts it)" },
	{ "client-token", "ClientToken", OPT_STRING, false,
	  "makes the request idempotent: a retry with the same token launches nothing new" },
	{ "block-device-mappings", "BlockDeviceMappings", OPT_STRUCT_LIST, false,
	  "DeviceName=/dev/xvda,Ebs={VolumeSize=GiB}: a root disk larger than the AMI" },
	{ "security-group-ids", "SecurityGroupIds", OPT_LIST, false,
	  "the security groups (default: the default group)" },
	{ "subnet-id", "SubnetId", OPT_STRING, false,
	  "the default subnet to launch into (default: the default zone's); see describe-subnets" },
	{ "placement", "Placement", OPT_STRUCT, false,
	  "AvailabilityZone=ZONE: launch into that zone's default subnet" },
	{ "network-interfaces", "NetworkInterfaces", OPT_STRUCT_LIST, false,
	  "DeviceIndex=0,SubnetId=S,Groups=G1,G2: the one interface (instead of --subnet-id and "
	  "--security-group-ids)" },
	{ "key-name", "KeyName", OPT_STRING, false,
	  "a key pair: its public key reaches the instance (cloud-init's public-keys)" },
	{ "user-data", "UserData", OPT_TEXT, false,
	  "a script or cloud-config run on first boot: text, file://PATH or fileb://PATH "
	  "(16384 bytes at most)" },
	{ "metadata-options", "MetadataOptions", OPT_STRUCT, false,
	  "HttpTokens=optional|required,HttpPutResponseHopLimit=1..64,HttpEndpoint=enabled|disabled,"
	  "InstanceMetadataTags=enabled|disabled: the instance metadata service (IMDS)" },
	{ "iam-instance-profile", "IamInstanceProfile", OPT_STRUCT, false,
	  "Name=NAME or Arn=ARN: the IAM instance profile whose role's credentials IMDS gives" },
	END,
};

static const struct cli_opt metadata_options_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance, running or stopped" },
	{ "http-tokens", "HttpTokens", OPT_STRING, false,
	  "optional (IMDSv1 and v2) or required (IMDSv2 only: a session token with each request)" },
	{ "http-put-response-hop-limit", "HttpPutResponseHopLimit", OPT_INT, false,
	  "the IP TTL of IMDS's token answers, 1 to 64" },
	{ "http-endpoint", "HttpEndpoint", OPT_STRING, false,
	  "enabled or disabled: whether the instance reaches IMDS at all" },
	{ "http-protocol-ipv6", "HttpProtocolIpv6", OPT_STRING, false,
	  "disabled (instances here have no IPv6)" },
	{ "instance-metadata-tags", "InstanceMetadataTags", OPT_STRING, false,
	  "enabled or disabled: the instance's tags under meta-data/tags/instance" },
	END,
};

static const struct cli_opt associate_profile_opts[] = {
	{ "iam-instance-profile", "IamInstanceProfile", OPT_STRUCT, true,
	  "Name=NAME or Arn=ARN: the IAM instance profile" },
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance, running or stopped" },
	END,
};

static const struct cli_opt describe_profile_assocs_opts[] = {
	{ "association-ids", "AssociationIds", OPT_LIST, false, "the associations (default all)" },
	{ "filters", "Filters", OPT_STRUCT_LIST, false, "Name=instance-id|state,Values=..." },
	{ "max-results", "MaxResults", OPT_INT, false,
	  "at most this many items (5 to 1000); the answer's NextToken gives the rest" },
	{ "next-token", "NextToken", OPT_STRING, false, "the NextToken of the previous page" },
	END,
};

static const struct cli_opt disassociate_profile_opts[] = {
	{ "association-id", "AssociationId", OPT_STRING, true, "the association (iip-assoc-...)" },
	END,
};

static const struct cli_opt replace_profile_opts[] = {
	{ "iam-instance-profile", "IamInstanceProfile", OPT_STRUCT, true,
	  "Name=NAME or Arn=ARN: the new IAM instance profile" },
	{ "association-id", "AssociationId", OPT_STRING, true,
	  "the running instance's association (iip-assoc-...)" },
	END,
};

static const struct cli_opt attribute_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance" },
	{ "attribute", "Attribute", OPT_STRING, true,
	  "instanceType, kernel, ramdisk, userData, disableApiTermination, "
	  "instanceInitiatedShutdownBehavior, rootDeviceName, blockDeviceMapping, productCodes, "
	  "sourceDestCheck, groupSet, ebsOptimized, sriovNetSupport, enaSupport, enclaveOptions "
	  "or disableApiStop" },
	END,
};

static const struct cli_opt modify_attribute_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance" },
	{ "instance-type", "InstanceType", OPT_STRUCT, false,
	  "Value=TYPE: a new type (stopped only; its vCPUs and memory follow)" },
	{ "disable-api-termination", "DisableApiTermination", OPT_BOOL, false,
	  "terminate-instances refuses it (--no-disable-api-termination allows it again)" },
	{ "disable-api-stop", "DisableApiStop", OPT_BOOL, false,
	  "stop-instances refuses it (--no-disable-api-stop allows it again)" },
	{ "instance-initiated-shutdown-behavior", "InstanceInitiatedShutdownBehavior", OPT_STRUCT,
	  false, "Value=stop|terminate: what a shutdown from inside the guest does" },
	{ "user-data", "UserData", OPT_STRUCT, false,
	  "Value=TEXT: new user data in the instance's NoCloud seed (stopped only)" },
	{ "groups", "Groups", OPT_LIST, false, "the security groups, by id (applied at once)" },
	{ "source-dest-check", "SourceDestCheck", OPT_BOOL, false,
	  "--no-source-dest-check turns the source/destination check off" },
	{ "ebs-optimized", "EbsOptimized", OPT_BOOL, false, "false only: not this kind of instance" },
	{ "ena-support", "EnaSupport", OPT_BOOL, false, "true only: the instance's network is ENA" },
	{ "sriov-net-support", "SriovNetSupport", OPT_STRUCT, false,
	  "Value=simple: refused, an instance here has no Intel 82599 VF" },
	{ "kernel", "Kernel", OPT_STRUCT, false, "Value=aki-...: refused, instances here are HVM" },
	{ "ramdisk", "Ramdisk", OPT_STRUCT, false, "Value=ari-...: refused, instances here are HVM" },
	{ "block-device-mappings", "BlockDeviceMappings", OPT_STRUCT_LIST, false,
	  "DeviceName=/dev/xvda,Ebs={DeleteOnTermination=true} (the root volume always goes)" },
	{ "attribute", "Attribute", OPT_STRING, false,
	  "the attribute to set with --value (instanceType, userData in base64, "
	  "disableApiTermination, ...)" },
	{ "value", "Value", OPT_STRING, false, "the value of --attribute" },
	END,
};

static const struct cli_opt password_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance" },
	END,
};

static const struct cli_opt max_results_opt = {
	"max-results", "MaxResults", OPT_INT, false,
	"at most this many items; the answer's NextToken gives the rest"
};
static const struct cli_opt next_token_opt = {
	"next-token", "NextToken", OPT_STRING, false, "the NextToken of the previous page"
};

static const struct cli_opt describe_instances_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, false, "the instances to describe (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt ids_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, true, "the instances" },
	END,
};

static const struct cli_opt stop_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, true, "the instances" },
	{ "hibernate", "Hibernate", OPT_BOOL, false,
	  "save RAM to disk; the next start resumes it (needs --hibernation-options at launch)" },
	{ "force", "Force", OPT_BOOL, false, "power off at once instead of an ACPI shutdown" },
	END,
};

static const struct cli_opt status_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, false, "the instances (default all running)" },
	{ "include-all-instances", "IncludeAllInstances", OPT_BOOL, false,
	  "stopped instances too (their status is not-applicable)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt console_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance" },
	{ "latest", "Latest", OPT_BOOL, false, "the latest output (the last 64 KB, as always here)" },
	END,
};

static const struct cli_opt wait_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, false, "the instances to wait for" },
	{ "image-ids", "ImageIds", OPT_LIST, false, "the AMIs to wait for (image-* waiters)" },
	{ "owners", "Owners", OPT_LIST, false, "self, amazon (image-* waiters)" },
	filters_opt,
	END,
};

static const struct cli_opt types_opts[] = {
	{ "instance-types", "InstanceTypes", OPT_LIST, false, "the types (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt register_image_opts[] = {
	{ "name", "Name", OPT_STRING, true, "the AMI's name: 3-128 characters, unique among yours" },
	{ "disk", "DiskPath", OPT_PATH, false, "a local bootable disk image, raw or qcow2 (or the "
	  "root mapping's snapshot)" },
	{ "root-device-name", "RootDeviceName", OPT_STRING, false, "/dev/xvda" },
	{ "block-device-mappings", "BlockDeviceMappings", OPT_STRUCT_LIST, false,
	  "DeviceName=/dev/xvda,Ebs={SnapshotId=snap-...}: the AMI of a snapshot" },
	{ "description", "Description", OPT_STRING, false, "free text" },
	{ "kernel", "KernelPath", OPT_PATH, false,
	  "boot this kernel directly (the disk then need not be bootable)" },
	{ "ramdisk", "RamdiskPath", OPT_PATH, false, "the initrd for --kernel" },
	{ "kernel-args", "KernelArgs", OPT_STRING, false,
	  "the kernel command line (default: console=ttyS0 root=/dev/vda rw)" },
	{ "kernel-entry", "KernelEntry", OPT_STRING, false,
	  "auto (default: PVH direct boot of the extracted vmlinux where it has the PVH note) "
	  "or bzImage" },
	{ "imds-support", "ImdsSupport", OPT_STRING, false,
	  "v2.0: its instances launch with IMDSv2 required (HttpTokens=required, hop limit 2)" },
	END,
};

static const struct cli_opt describe_images_opts[] = {
	{ "image-ids", "ImageIds", OPT_LIST, false, "the AMIs (default all)" },
	{ "owners", "Owners", OPT_LIST, false, "self, amazon, or an account id" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt tags_opts[] = {
	{ "resources", "Resources", OPT_LIST, true,
	  "instance, AMI, security group, key pair or default VPC (vpc-, subnet-, igw-, rtb-, acl-) ids" },
	{ "tags", "Tags", OPT_STRUCT_LIST, false,
	  "Key=K,Value=V ... (delete-tags: without it, every tag; without Value, any value)" },
	END,
};

static const struct cli_opt describe_tags_opts[] = {
	{ "filters", "Filters", OPT_STRUCT_LIST, false,
	  "Name=key|value|resource-id|resource-type,Values=..." },
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt timeline_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, false, "the instances (default all)" },
	END,
};

static const struct cli_opt serve_opts[] = {
	{ "listen", "Listen", OPT_STRING, false, "ADDRESS:PORT to listen on (default 127.0.0.1:8773)" },
	{ "no-auth", "NoAuth", OPT_BOOL, false,
	  "take unsigned requests, on a loopback address only (by default each must be signed with "
	  "a configured access key)" },
	{ "metrics-interval", "MetricsInterval", OPT_INT, false,
	  "seconds between samples of the instances' CloudWatch metrics, 1 to 3600, 0 for none "
	  "(default: config.json's \"metrics-interval\", else 5)" },
	END,
};

static const struct cli_opt doctor_opts[] = {
	{ "fix", "Fix", OPT_BOOL, false,
	  "remove the libvirt storage pools of ec2-lite state folders that are gone" },
	END,
};

static const struct cli_opt deregister_image_opts[] = {
	{ "image-id", "ImageId", OPT_STRING, true, "the AMI" },
	END,
};

static const struct cli_opt create_image_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance, running or stopped" },
	{ "name", "Name", OPT_STRING, true, "the AMI's name: 3-128 characters, unique among yours" },
	{ "description", "Description", OPT_STRING, false, "free text, up to 255 characters" },
	{ "no-reboot", "NoReboot", OPT_BOOL, false,
	  "copy a running instance's disk while it runs (its filesystems frozen for a moment "
	  "through the guest agent) instead of shutting it down for the copy" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=image,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt copy_image_opts[] = {
	{ "source-image-id", "SourceImageId", OPT_STRING, true, "the AMI to copy" },
	{ "source-region", "SourceRegion", OPT_STRING, true, "its region (this one)" },
	{ "name", "Name", OPT_STRING, true, "the new AMI's name" },
	{ "description", "Description", OPT_STRING, false, "free text (default: the source's)" },
	END,
};

static const struct cli_opt import_image_opts[] = {
	{ "disk-containers", "DiskContainers", OPT_STRUCT_LIST, true,
	  "Format=raw|qcow2,Url=s3://BUCKET/KEY (in the import folder) or file://PATH: a cloud "
	  "image, checked with libguestfs" },
	{ "description", "Description", OPT_STRING, false, "free text" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=import-image-task,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt import_tasks_opts[] = {
	{ "import-task-ids", "ImportTaskIds", OPT_LIST, false, "the tasks (default all)" },
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt create_sg_opts[] = {
	{ "group-name", "GroupName", OPT_STRING, true, "1 to 255 characters, not sg-..." },
	{ "description", "Description", OPT_STRING, true, "up to 255 characters" },
	{ "vpc-id", "VpcId", OPT_STRING, false, "the default VPC (the only one here)" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=security-group,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt describe_sg_opts[] = {
	{ "group-ids", "GroupIds", OPT_LIST, false, "the groups (default all)" },
	{ "group-names", "GroupNames", OPT_LIST, false, "the groups by name" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt ingress_opts[] = {
	{ "group-id", "GroupId", OPT_STRING, false, "the group" },
	{ "group-name", "GroupName", OPT_STRING, false, "the group, by name" },
	{ "protocol", "IpProtocol", OPT_STRING, false, "tcp, udp, icmp or all" },
	{ "port", "Port", OPT_STRING, false, "a port or a range N-M" },
	{ "cidr", "CidrIp", OPT_STRING, false, "the IPv4 range allowed, e.g. 0.0.0.0/0" },
	{ "ip-permissions", "IpPermissions", OPT_STRUCT_LIST, false,
	  "IpProtocol=tcp,FromPort=80,ToPort=80,IpRanges=[{CidrIp=0.0.0.0/0}]" },
	END,
};

static const struct cli_opt group_ref_opts[] = {
	{ "group-id", "GroupId", OPT_STRING, false, "the group" },
	{ "group-name", "GroupName", OPT_STRING, false, "the group, by name" },
	END,
};

static const struct cli_opt create_key_opts[] = {
	{ "key-name", "KeyName", OPT_STRING, true, "a unique name" },
	{ "key-type", "KeyType", OPT_STRING, false, "rsa (default) or ed25519" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=key-pair,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt import_key_opts[] = {
	{ "key-name", "KeyName", OPT_STRING, true, "a unique name" },
	{ "public-key-material", "PublicKeyMaterial", OPT_TEXT, true,
	  "an OpenSSH public key: fileb://~/.ssh/id_ed25519.pub or the text itself" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=key-pair,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt describe_keys_opts[] = {
	{ "key-names", "KeyNames", OPT_LIST, false, "the key pairs (default all)" },
	{ "include-public-key", "IncludePublicKey", OPT_BOOL, false, "show each public key too" },
	{ "key-pair-ids", "KeyPairIds", OPT_LIST, false, "the key pairs by id" },
	filters_opt,
	END,
};

static const struct cli_opt delete_key_opts[] = {
	{ "key-name", "KeyName", OPT_STRING, true, "the key pair" },
	END,
};

static const struct cli_opt describe_enis_opts[] = {
	{ "network-interface-ids", "NetworkInterfaceIds", OPT_LIST, false,
	  "the network interfaces (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt allocate_address_opts[] = {
	{ "domain", "Domain", OPT_STRING, false, "vpc (the default)" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=elastic-ip,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt associate_address_opts[] = {
	{ "allocation-id", "AllocationId", OPT_STRING, false, "the Elastic IP" },
	{ "public-ip", "PublicIp", OPT_STRING, false, "the Elastic IP, by its address" },
	{ "instance-id", "InstanceId", OPT_STRING, false, "the instance (its primary interface)" },
	{ "network-interface-id", "NetworkInterfaceId", OPT_STRING, false, "the interface" },
	{ "private-ip-address", "PrivateIpAddress", OPT_STRING, false, "the interface's private IP" },
	{ "allow-reassociation", "AllowReassociation", OPT_BOOL, false,
	  "move the address from another instance (the default); --no-allow-reassociation refuses" },
	END,
};

static const struct cli_opt disassociate_address_opts[] = {
	{ "association-id", "AssociationId", OPT_STRING, false, "the association" },
	{ "public-ip", "PublicIp", OPT_STRING, false, "the Elastic IP, by its address" },
	END,
};

static const struct cli_opt release_address_opts[] = {
	{ "allocation-id", "AllocationId", OPT_STRING, false, "the Elastic IP" },
	{ "public-ip", "PublicIp", OPT_STRING, false, "the Elastic IP, by its address" },
	END,
};

static const struct cli_opt describe_addresses_opts[] = {
	{ "public-ips", "PublicIps", OPT_LIST, false, "the Elastic IPs (default all)" },
	{ "allocation-ids", "AllocationIds", OPT_LIST, false, "the Elastic IPs, by allocation id" },
	filters_opt,
	END,
};

static const struct cli_opt create_volume_opts[] = {
	{ "availability-zone", "AvailabilityZone", OPT_STRING, false, "the zone it lives in" },
	{ "size", "Size", OPT_INT, false, "GiB (default: the snapshot's)" },
	{ "snapshot-id", "SnapshotId", OPT_STRING, false, "made from this snapshot (copy-on-write)" },
	{ "volume-type", "VolumeType", OPT_STRING, false, "gp2 (default), gp3, io1, io2, st1, sc1, "
	  "standard" },
	{ "iops", "Iops", OPT_INT, false, "gp3, io1, io2" },
	{ "throughput", "Throughput", OPT_INT, false, "MiB/s, gp3" },
	{ "encrypted", "Encrypted", OPT_BOOL, false, "recorded" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=volume,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt volume_id_opts[] = {
	{ "volume-id", "VolumeId", OPT_STRING, true, "the volume" },
	END,
};

static const struct cli_opt describe_volumes_opts[] = {
	{ "volume-ids", "VolumeIds", OPT_LIST, false, "the volumes (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt describe_volume_status_opts[] = {
	{ "volume-ids", "VolumeIds", OPT_LIST, false, "the volumes (default all)" },
	filters_opt,
	END,
};

static const struct cli_opt attach_volume_opts[] = {
	{ "device", "Device", OPT_STRING, true, "/dev/sdf../dev/sdp or /dev/xvdf../dev/xvdp" },
	{ "instance-id", "InstanceId", OPT_STRING, true, "running or stopped, in the volume's zone" },
	{ "volume-id", "VolumeId", OPT_STRING, true, "an available volume" },
	END,
};

static const struct cli_opt detach_volume_opts[] = {
	{ "volume-id", "VolumeId", OPT_STRING, true, "the volume" },
	{ "instance-id", "InstanceId", OPT_STRING, false, "the instance it must be attached to" },
	{ "device", "Device", OPT_STRING, false, "the device it must be attached at" },
	{ "force", "Force", OPT_BOOL, false, "ask again when a detach did not finish" },
	END,
};

static const struct cli_opt modify_volume_opts[] = {
	{ "volume-id", "VolumeId", OPT_STRING, true, "an available volume" },
	{ "size", "Size", OPT_INT, false, "GiB, not smaller" },
	{ "volume-type", "VolumeType", OPT_STRING, false, "the new type" },
	{ "iops", "Iops", OPT_INT, false, "gp3, io1, io2" },
	{ "throughput", "Throughput", OPT_INT, false, "MiB/s, gp3" },
	END,
};

static const struct cli_opt create_snapshot_opts[] = {
	{ "volume-id", "VolumeId", OPT_STRING, true, "available, or attached to a stopped instance" },
	{ "description", "Description", OPT_STRING, false, "its description" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=snapshot,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt describe_snapshots_opts[] = {
	{ "snapshot-ids", "SnapshotIds", OPT_LIST, false, "the snapshots (default all)" },
	{ "owner-ids", "OwnerIds", OPT_LIST, false, "self or the account id" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt delete_snapshot_opts[] = {
	{ "snapshot-id", "SnapshotId", OPT_STRING, true, "the snapshot" },
	END,
};

static const struct cli_opt copy_snapshot_opts[] = {
	{ "source-snapshot-id", "SourceSnapshotId", OPT_STRING, true, "the snapshot" },
	{ "source-region", "SourceRegion", OPT_STRING, true, "this region" },
	{ "description", "Description", OPT_STRING, false, "the copy's description" },
	{ "tag-specifications", "TagSpecifications", OPT_STRUCT_LIST, false,
	  "ResourceType=snapshot,Tags=[{Key=K,Value=V},...]" },
	END,
};

static const struct cli_opt describe_vpcs_opts[] = {
	{ "vpc-ids", "VpcIds", OPT_LIST, false, "the VPCs (default all: the default VPC)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt describe_subnets_opts[] = {
	{ "subnet-ids", "SubnetIds", OPT_LIST, false, "the subnets (default all: one per zone)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt describe_igws_opts[] = {
	{ "internet-gateway-ids", "InternetGatewayIds", OPT_LIST, false,
	  "the internet gateways (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt describe_route_tables_opts[] = {
	{ "route-table-ids", "RouteTableIds", OPT_LIST, false, "the route tables (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt describe_acls_opts[] = {
	{ "network-acl-ids", "NetworkAclIds", OPT_LIST, false, "the network ACLs (default all)" },
	filters_opt,
	max_results_opt,
	next_token_opt,
	END,
};

static const struct cli_opt describe_zones_opts[] = {
	{ "zone-names", "ZoneNames", OPT_LIST, false, "the zones by name (default all)" },
	{ "zone-ids", "ZoneIds", OPT_LIST, false, "the zones by id (use1-az1, ...)" },
	{ "all-availability-zones", "AllAvailabilityZones", OPT_BOOL, false,
	  "Local and Wavelength Zones too (there are none)" },
	filters_opt,
	END,
};

static const struct cli_opt describe_regions_opts[] = {
	{ "region-names", "RegionNames", OPT_LIST, false, "the regions (the configured one)" },
	{ "all-regions", "AllRegions", OPT_BOOL, false, "opted-out regions too (there are none)" },
	filters_opt,
	END,
};

static const struct cli_opt describe_account_opts[] = {
	{ "attribute-names", "AttributeNames", OPT_LIST, false,
	  "supported-platforms, default-vpc, max-instances, ... (default all)" },
	END,
};

static const struct cli_opt reconcile_opts[] = {
	{ "instance-ids", "InstanceIds", OPT_LIST, false, "the instances (default all)" },
	{ "wait", "Wait", OPT_BOOL, false, "return only when no transition is pending" },
	END,
};

static const struct cli_opt build_ami_opts[] = {
	{ "force", "Force", OPT_BOOL, false, "build again even when the recipe has not changed" },
	{ "verbose", "Verbose", OPT_BOOL, false, "show the output of the tools the build runs" },
	END,
};

/* IAM's commands ("ec2-lite iam NAME"), with the aws iam CLI's option names. */
static const struct cli_opt iam_create_role_opts[] = {
	{ "role-name", "RoleName", OPT_STRING, true, "a unique name" },
	{ "assume-role-policy-document", "AssumeRolePolicyDocument", OPT_TEXT, true,
	  "the trust policy (JSON): text or file://PATH" },
	{ "path", "Path", OPT_STRING, false, "/ (default) or /PATH/" },
	{ "description", "Description", OPT_STRING, false, "what the role is for" },
	{ "max-session-duration", "MaxSessionDuration", OPT_INT, false,
	  "seconds, 3600 (default) to 43200" },
	END,
};

static const struct cli_opt iam_role_opts[] = {
	{ "role-name", "RoleName", OPT_STRING, true, "the role" },
	END,
};

static const struct cli_opt iam_list_opts[] = {
	{ "path-prefix", "PathPrefix", OPT_STRING, false, "only those whose path starts so" },
	END,
};

static const struct cli_opt iam_put_policy_opts[] = {
	{ "role-name", "RoleName", OPT_STRING, true, "the role" },
	{ "policy-name", "PolicyName", OPT_STRING, true, "the inline policy's name" },
	{ "policy-document", "PolicyDocument", OPT_TEXT, true,
	  "the policy (JSON): text or file://PATH" },
	END,
};

static const struct cli_opt iam_role_policy_opts[] = {
	{ "role-name", "RoleName", OPT_STRING, true, "the role" },
	{ "policy-name", "PolicyName", OPT_STRING, true, "the inline policy" },
	END,
};

static const struct cli_opt iam_create_profile_opts[] = {
	{ "instance-profile-name", "InstanceProfileName", OPT_STRING, true, "a unique name" },
	{ "path", "Path", OPT_STRING, false, "/ (default) or /PATH/" },
	END,
};

static const struct cli_opt iam_profile_opts[] = {
	{ "instance-profile-name", "InstanceProfileName", OPT_STRING, true, "the instance profile" },
	END,
};

static const struct cli_opt iam_profile_role_opts[] = {
	{ "instance-profile-name", "InstanceProfileName", OPT_STRING, true, "the instance profile" },
	{ "role-name", "RoleName", OPT_STRING, true, "the role" },
	END,
};

static const struct cli_opt iam_credentials_opts[] = {
	{ "instance-id", "InstanceId", OPT_STRING, true, "the instance" },
	{ "role-name", "RoleName", OPT_STRING, true, "the role" },
	END,
};

const struct command commands[] = {
	{ "run-instances", "RunInstances", "launch instances from an AMI", run_instances_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-instances", "DescribeInstances", "describe instances", describe_instances_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "start-instances", "StartInstances", "start stopped (or hibernated) instances", ids_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "stop-instances", "StopInstances", "stop (or hibernate) running instances", stop_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_SETTLE },
	{ "reboot-instances", "RebootInstances", "reboot running instances", ids_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX | CMD_SETTLE },
	{ "terminate-instances", "TerminateInstances", "terminate instances: their disks go too",
	  ids_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-instance-attribute", "DescribeInstanceAttribute",
	  "describe one attribute of an instance (userData comes base64-encoded)", attribute_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "modify-instance-attribute", "ModifyInstanceAttribute",
	  "change one attribute of an instance (type, protection, user data, groups, ...)",
	  modify_attribute_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "get-password-data", "GetPasswordData",
	  "the Windows administrator password (empty: instances here are Linux)", password_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "modify-instance-metadata-options", "ModifyInstanceMetadataOptions",
	  "change the instance metadata service's options of an instance (IMDSv2, hop limit, ...)",
	  metadata_options_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "associate-iam-instance-profile", "AssociateIamInstanceProfile",
	  "associate an IAM instance profile with an instance (its role's credentials in IMDS)",
	  associate_profile_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-iam-instance-profile-associations", "DescribeIamInstanceProfileAssociations",
	  "describe the instances' IAM instance profile associations",
	  describe_profile_assocs_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "disassociate-iam-instance-profile", "DisassociateIamInstanceProfile",
	  "remove an instance's IAM instance profile", disassociate_profile_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX },
	{ "replace-iam-instance-profile-association", "ReplaceIamInstanceProfileAssociation",
	  "give a running instance another IAM instance profile", replace_profile_opts, NULL, NULL,
	  NULL, CMD_NEEDS_CTX },
	{ "describe-instance-status", "DescribeInstanceStatus",
	  "system and instance status checks (ok, initializing, impaired)", status_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "get-console-output", "GetConsoleOutput",
	  "the instance's serial console output, kept across reboots", console_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "wait", NULL,
	  "wait for instance-running, -stopped, -terminated, -exists, instance-status-ok, "
	  "system-status-ok, image-available or image-exists",
	  wait_opts, "waiter", NULL, cmd_wait, CMD_NEEDS_CTX },
	{ "describe-instance-types", "DescribeInstanceTypes", "describe instance types",
	  types_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "register-image", "RegisterImage", "register a local disk image as an AMI",
	  register_image_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-images", "DescribeImages", "describe AMIs", describe_images_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "deregister-image", "DeregisterImage", "deregister an AMI", deregister_image_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "create-image", "CreateImage",
	  "make an AMI of an instance (cleaned like virt-sysprep: each copy is a new machine)",
	  create_image_opts, NULL, NULL, cmd_create_image, CMD_NEEDS_CTX },
	{ "copy-image", "CopyImage", "copy an AMI under a new name", copy_image_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "import-image", "ImportImage",
	  "import a cloud image as one of your AMIs (checked: an OS, x86_64, its format)",
	  import_image_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-import-image-tasks", "DescribeImportImageTasks", "describe image imports",
	  import_tasks_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "create-security-group", "CreateSecurityGroup", "create a security group",
	  create_sg_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-security-groups", "DescribeSecurityGroups", "describe security groups",
	  describe_sg_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "authorize-security-group-ingress", "AuthorizeSecurityGroupIngress",
	  "allow inbound traffic to a security group", ingress_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "revoke-security-group-ingress", "RevokeSecurityGroupIngress",
	  "remove an inbound rule from a security group", ingress_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "delete-security-group", "DeleteSecurityGroup",
	  "delete a security group (not while an instance uses it)", group_ref_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "create-tags", "CreateTags", "add or overwrite tags of instances, AMIs or security groups",
	  tags_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "delete-tags", "DeleteTags", "remove tags", tags_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX },
	{ "describe-tags", "DescribeTags", "describe tags", describe_tags_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "create-key-pair", "CreateKeyPair", "create a key pair: prints the private key once",
	  create_key_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "import-key-pair", "ImportKeyPair", "import an OpenSSH public key as a key pair",
	  import_key_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-key-pairs", "DescribeKeyPairs", "describe key pairs", describe_keys_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "delete-key-pair", "DeleteKeyPair", "delete a key pair", delete_key_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-network-interfaces", "DescribeNetworkInterfaces",
	  "describe network interfaces (each instance's primary one)", describe_enis_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "allocate-address", "AllocateAddress", "allocate an Elastic IP", allocate_address_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "associate-address", "AssociateAddress",
	  "associate an Elastic IP with an instance: its public IP, kept while it is stopped",
	  associate_address_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "disassociate-address", "DisassociateAddress", "disassociate an Elastic IP",
	  disassociate_address_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "release-address", "ReleaseAddress", "release an Elastic IP (not while associated)",
	  release_address_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-addresses", "DescribeAddresses", "describe Elastic IPs",
	  describe_addresses_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "create-volume", "CreateVolume", "create an EBS volume (a qcow2 file of the pool)",
	  create_volume_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-volumes", "DescribeVolumes", "describe volumes (instances' root volumes too)",
	  describe_volumes_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-volume-status", "DescribeVolumeStatus", "describe volumes' status",
	  describe_volume_status_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "delete-volume", "DeleteVolume", "delete an available volume", volume_id_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "attach-volume", "AttachVolume", "attach a volume to an instance (hot-plugged when it "
	  "runs)", attach_volume_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "detach-volume", "DetachVolume", "detach a volume", detach_volume_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX },
	{ "modify-volume", "ModifyVolume", "grow or retype an available volume", modify_volume_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "create-snapshot", "CreateSnapshot", "snapshot a volume", create_snapshot_opts, NULL,
	  NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-snapshots", "DescribeSnapshots", "describe snapshots", describe_snapshots_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "delete-snapshot", "DeleteSnapshot", "delete a snapshot (not while an AMI uses it)",
	  delete_snapshot_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "copy-snapshot", "CopySnapshot", "copy a snapshot", copy_snapshot_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX },
	{ "describe-vpcs", "DescribeVpcs", "describe VPCs (the default VPC)", describe_vpcs_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-subnets", "DescribeSubnets", "describe subnets (a default subnet per zone)",
	  describe_subnets_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-internet-gateways", "DescribeInternetGateways",
	  "describe internet gateways (the default VPC's)", describe_igws_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX },
	{ "describe-route-tables", "DescribeRouteTables",
	  "describe route tables (the default VPC's main table)", describe_route_tables_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-network-acls", "DescribeNetworkAcls",
	  "describe network ACLs (the default VPC's default ACL)", describe_acls_opts, NULL, NULL,
	  NULL, CMD_NEEDS_CTX },
	{ "describe-availability-zones", "DescribeAvailabilityZones",
	  "describe the region's availability zones (the zones setting)", describe_zones_opts,
	  NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-regions", "DescribeRegions", "describe the region (the region setting)",
	  describe_regions_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "describe-account-attributes", "DescribeAccountAttributes",
	  "the account's attributes: default VPC, instance limit, platforms",
	  describe_account_opts, NULL, NULL, NULL, CMD_NEEDS_CTX },
	{ "build-ami", NULL,
	  "build an AMI recipe from amis/ (tiny, debian-12) as a Quick Start AMI", build_ami_opts,
	  "recipe", NULL, cmd_build_ami, CMD_NEEDS_CTX },
	{ "reconcile", NULL,
	  "finish pending transitions now (forced stops, hard resets, guest shutdowns)",
	  reconcile_opts, NULL, NULL, cmd_reconcile, CMD_NEEDS_CTX },
	{ "describe-boot-timeline", NULL,
	  "when each phase of the instances' last boot happened (kernel, init, cloud-init, "
	  "user-data, login, the first open port answering), in seconds from their start",
	  timeline_opts, NULL, ec2_describe_boot_timeline, NULL, CMD_NEEDS_CTX },
	{ "serve", NULL,
	  "serve the EC2 Query API, so that the aws CLI and SDKs drive ec2-lite (--endpoint-url)",
	  serve_opts, NULL, NULL, cmd_serve, 0 },
	{ "doctor", NULL, "check the daemons, the accelerator in use and the state folder",
	  doctor_opts, NULL, NULL, cmd_doctor, 0 },
	{ "imds-daemon", NULL, "the state folder's instance metadata service (started by ec2-lite)",
	  NULL, NULL, NULL, cmd_imds_daemon, CMD_HIDDEN },
	{ "iam create-role", "CreateRole", "create an IAM role with a trust policy",
	  iam_create_role_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam get-role", "GetRole", "describe an IAM role", iam_role_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX | CMD_IAM },
	{ "iam list-roles", "ListRoles", "list the IAM roles", iam_list_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX | CMD_IAM },
	{ "iam delete-role", "DeleteRole", "delete an IAM role (no policies, in no profile)",
	  iam_role_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam put-role-policy", "PutRolePolicy", "add or replace an inline policy of a role",
	  iam_put_policy_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam get-role-policy", "GetRolePolicy", "show an inline policy of a role",
	  iam_role_policy_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam list-role-policies", "ListRolePolicies", "list the inline policies of a role",
	  iam_role_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam delete-role-policy", "DeleteRolePolicy", "delete an inline policy of a role",
	  iam_role_policy_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam create-instance-profile", "CreateInstanceProfile", "create an instance profile",
	  iam_create_profile_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam get-instance-profile", "GetInstanceProfile", "describe an instance profile",
	  iam_profile_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam list-instance-profiles", "ListInstanceProfiles", "list the instance profiles",
	  iam_list_opts, NULL, NULL, NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam list-instance-profiles-for-role", "ListInstanceProfilesForRole",
	  "list the instance profiles that hold a role", iam_role_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX | CMD_IAM },
	{ "iam delete-instance-profile", "DeleteInstanceProfile",
	  "delete an instance profile (it must hold no role)", iam_profile_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX | CMD_IAM },
	{ "iam add-role-to-instance-profile", "AddRoleToInstanceProfile",
	  "put a role in an instance profile (one at most)", iam_profile_role_opts, NULL, NULL,
	  NULL, CMD_NEEDS_CTX | CMD_IAM },
	{ "iam remove-role-from-instance-profile", "RemoveRoleFromInstanceProfile",
	  "take the role out of an instance profile", iam_profile_role_opts, NULL, NULL, NULL,
	  CMD_NEEDS_CTX | CMD_IAM },
	/* For tests: the temporary credentials IMDS would give an instance for a role. Local only
	 * (the API has no such action). */
	{ "iam issue-instance-credentials", NULL,
	  "(test) the temporary credentials of a role for an instance, as IMDS serves them",
	  iam_credentials_opts, NULL, NULL, cmd_iam_credentials, CMD_NEEDS_CTX | CMD_HIDDEN },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0 },
};
