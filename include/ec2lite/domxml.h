/* Domain XML for an instance, and the EC2 facts kept in the domain's <metadata>.
 *
 * libvirt is the source of truth for live instances: everything EC2 says of an instance that
 * libvirt does not know itself (AMI, type, reservation, tags, ...) lives in one metadata element
 * in the ec2-lite namespace. All XML is built with libxml2's tree API, so no value can break it. */
#ifndef EC2LITE_DOMXML_H
#define EC2LITE_DOMXML_H

#include <json-c/json.h>
#include <stdbool.h>

#include "ec2lite/conn.h"
#include "ec2lite/error.h"
#include "ec2lite/ids.h"
#include "ec2lite/lifecycle.h"

#define EC2_META_NS "http://ec2-lite.org/xmlns/instance/1"
#define EC2_META_PREFIX "ec2lite"

struct ec2_meta {
	char image_id[EC2_ID_MAX];
	char instance_type[32];
	char reservation_id[EC2_ID_MAX];
	char launch_time[32];          /* EC2 timestamp of the last start */
	int launch_index;
	bool hibernation;              /* HibernationOptions.Configured */
	char shutdown_behavior[16];    /* "stop" or "terminate" */
	char client_token[72];
	char root_volume_id[EC2_ID_MAX]; /* vol-... */
	char root_volume[64];          /* the overlay's volume name in the ec2-lite pool */
	char pool[64];                 /* that pool: it also says which state folder owns the instance */
	char accelerator[8];           /* "kvm" or "tcg", fixed at launch */
	char kernel_entry[16];         /* "pvh", "bzImage" (direct kernel boot) or "bios" */
	enum ec2_op pending_op;        /* the operation under way (lifecycle.h): an asked-for stop
					* not yet done, or CreateImage copying its disk */
	char pending_image[EC2_ID_MAX]; /* the image being made of it (the "image..." ops) */
	long long pending_since;       /* when pending_op was asked for (epoch seconds) */
	char transition_reason[128];   /* EC2's StateTransitionReason */
	char state_reason[64];         /* EC2's StateReason.Code, e.g. Client.UserInitiatedShutdown */
	json_object *tags;             /* array of {"Key","Value"}, owned; NULL for none */
	json_object *groups;           /* array of {"GroupId","GroupName"}, owned; NULL for none */
	char key_name[256];            /* the key pair it was launched with, or "" */
	long long console_offset;      /* console log size at the last start or reboot */
	char private_ip[16];           /* fixed at launch, in the default subnet (172.31.0.0/20) */
	char public_ip[16];            /* on the loopback range; given at start, released at stop */
	char eni_id[EC2_ID_MAX];       /* eni-...: the primary network interface */
	char vpc_id[EC2_ID_MAX];       /* the default VPC's and subnet's ids at launch */
	char subnet_id[EC2_ID_MAX];
	char availability_zone[32];    /* the subnet's zone at launch; "" (older instances): the
					* configured default zone */
	char eip_allocation_id[EC2_ID_MAX]; /* eipalloc-... when public_ip is an Elastic IP
					* associated with it (the store's "addresses" say so too) */
	bool disable_api_termination;  /* DisableApiTermination: TerminateInstances refuses */
	bool disable_api_stop;         /* DisableApiStop: StopInstances refuses */
	bool source_dest_check_off;    /* SourceDestCheck false (EC2's default is true) */
	/* MetadataOptions. Instances launched before they were kept read as EC2's defaults
	 * (HttpTokens optional, hop limit 1, endpoint enabled, no tags in the metadata). */
	bool http_tokens_required;     /* HttpTokens "required" (IMDSv2 only), else "optional" */
	int http_hop_limit;            /* HttpPutResponseHopLimit, 1..64 (0 reads as 1) */
	bool http_endpoint_off;        /* HttpEndpoint "disabled" */
	bool metadata_tags;            /* InstanceMetadataTags "enabled" */
	/* The IAM instance profile associated with it (IamInstanceProfile {Arn, Id}), or "" for
	 * none: the association lives with the instance and goes with it. */
	char iam_profile_arn[256];     /* arn:aws:iam::ACCOUNT:instance-profile/PATH-AND-NAME */
	char iam_profile_id[32];       /* AIPA... */
	char iam_assoc_id[EC2_ID_MAX]; /* iip-assoc-... */
	char iam_assoc_time[32];       /* EC2 timestamp of the association */
	/* Volumes (volume.h). root_keep: the root volume's DeleteOnTermination is false (it stays
	 * as an available volume after terminate). volumes: the EBS volumes attached besides the
	 * root, an owned array of {"VolumeId", "Device" (/dev/sdf), "Target" (vdf), "AttachTime",
	 * "State" (attaching, attached, detaching), "DeleteOnTermination": bool}, or NULL. */
	bool root_keep;
	json_object *volumes;
};

/* Releases what m owns (the tags); m itself is the caller's. */
void ec2_meta_clear(struct ec2_meta *m);

/* The metadata element without a namespace, as virDomainSetMetadata takes it (caller frees). */
char *ec2_meta_to_xml(const struct ec2_meta *m, struct ec2_error *err);

/* Parses what virDomainGetMetadata returns into m (cleared first). */
int ec2_meta_from_xml(const char *xml, struct ec2_meta *m, struct ec2_error *err);

struct domspec {
	const char *name;         /* the instance id */
	enum ec2_accel accel;
	unsigned vcpus;
	long memory_mib;
	unsigned tb_cache_mib;    /* TCG only */
	const char *disk_path;    /* the root overlay */
	const char *disk_format;  /* "qcow2" */
	const char *kernel;       /* direct kernel boot when not NULL */
	const char *initrd;       /* may be NULL */
	const char *cmdline;      /* may be NULL */
	const char *console_log;  /* serial console log file, kept across reboots */
	const char *seed;         /* the NoCloud seed ISO, a read-only virtio disk */
	const char *netdev;       /* QEMU -netdev and -device values of the instance's NIC (user-mode */
	const char *nic;          /* networking, which libvirt 9 cannot express), or NULL for none */
	const struct ec2_meta *meta;
	const char *const *ephemeral; /* the instance-store disks' files (raw, ephemeral0 first) */
	int ephemeral_count;      /* how many; 0: none */
	const char *uuid;         /* the domain's UUID, which is the guest's SMBIOS system UUID and
				   * serial: domxml_ec2_uuid's, so that cloud-init knows EC2
				   * (with the vendor "Amazon EC2"); NULL: libvirt picks one */
};

/* A random UUID that starts with "ec2", as EC2's instances' do (37 bytes). */
void domxml_ec2_uuid(char out[37]);

/* The whole domain XML for spec (caller frees). */
char *domxml_build(const struct domspec *spec, struct ec2_error *err);

/* The domain XML xml (as virDomainGetXMLDesc gives it) with the size of another instance type:
 * vcpus, memory_mib (<memory> and <currentMemory>) and, for a TCG domain, tb_cache_mib (the
 * <tcg><tb-cache> that domxml_build writes); every other element is kept as it is (caller frees).
 * NULL with err InternalError when xml is not a domain. */
char *domxml_resize(const char *xml, unsigned vcpus, long memory_mib, unsigned tb_cache_mib,
		    struct ec2_error *err);

/* QEMU's -drive value "file=PATH,opts" with each comma of path doubled (QEMU's escape in option
 * values), so that a path with a comma cannot add options of its own (caller frees). */
char *domxml_qemu_drive(const char *path, const char *opts);

/* A libvirt dir storage pool named name at path (caller frees). */
char *domxml_pool(const char *name, const char *path, struct ec2_error *err);

/* A qcow2 volume named name of capacity bytes whose backing file is backing (format
 * backing_format), or a standalone one when backing is NULL (caller frees). */
char *domxml_volume(const char *name, unsigned long long capacity, const char *backing,
		    const char *backing_format, struct ec2_error *err);

/* The <disk> of an attached EBS volume: the qcow2 file path as virtio disk target (vdf...),
 * with serial as its serial (the volume id without its dash, as EC2's NVMe serial); for
 * virDomainAttachDeviceFlags (caller frees). */
char *domxml_volume_disk(const char *path, const char *target, const char *serial,
			 struct ec2_error *err);

/* Whether the domain XML xml has a disk whose serial is serial. */
bool domxml_has_serial(const char *xml, const char *serial);

#endif
