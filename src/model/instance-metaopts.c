/* Instances, their metadata options: RunInstances' MetadataOptions, ModifyInstanceMetadataOptions
 * and the MetadataOptions of DescribeInstances' Instance (EC2's InstanceMetadataOptionsResponse).
 *
 * The options live in the instance's metadata (include/ec2lite/domxml.h struct ec2_meta), which
 * the instance metadata service reads through the described Instance on every request: a change
 * holds from the next request on, so its State is "applied" at once (EC2 says "pending" until its
 * hypervisor has it). A running instance and a stopped one are changed alike. */
#include <stdio.h>
#include <string.h>

#include "ec2lite/util.h"

#include "instance-internal.h"

/* The four options as they are being changed: applied to the instance only once all are good. */
struct opts {
	bool tokens_required;
	int hop_limit;
	bool endpoint_off;
	bool tags;
};

/* One enum-valued option of req (absent: *out unchanged). The two values are EC2's: off_word
 * makes *out false, on_word true. */
static int two_way(json_object *req, const char *param, const char *wire, const char *off_word,
		   const char *on_word, bool *out, struct ec2_error *err)
{
	const char *s = req_string(req, param);

	if (!s && !json_object_object_get_ex(req, param, NULL))
		return 0;
	if (s && strcmp(s, off_word) == 0)
		*out = false;
	else if (s && strcmp(s, on_word) == 0)
		*out = true;
	else {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%s) for parameter %s is invalid. "
			      "Valid values are '%s' and '%s'.", s ? s : "", wire, off_word, on_word);
		return -1;
	}
	return 0;
}

int metaopts_apply(json_object *req, struct ec2_meta *m, struct ec2_error *err)
{
	struct opts o = {
		.tokens_required = m->http_tokens_required,
		.hop_limit = m->http_hop_limit >= 1 ? m->http_hop_limit : 1,
		.endpoint_off = m->http_endpoint_off,
		.tags = m->metadata_tags,
	};
	long long hop = o.hop_limit;
	bool endpoint_on = !o.endpoint_off, ipv6 = false;
	int got;

	if (!req)
		return 0;
	if (two_way(req, "HttpTokens", "httpTokens", "optional", "required", &o.tokens_required,
		    err) < 0)
		return -1;
	got = req_int(req, "HttpPutResponseHopLimit", &hop, err);
	if (got < 0)
		return -1;
	if (got > 0 && (hop < 1 || hop > 64)) {
		ec2_error_set(err, EC2_ERR_INVALID_PARAMETER, "Value (%lld) for parameter "
			      "httpPutResponseHopLimit is invalid. Valid values are integers from 1 "
			      "to 64.", hop);
		return -1;
	}
	o.hop_limit = (int)hop;
	if (two_way(req, "HttpEndpoint", "httpEndpoint", "disabled", "enabled", &endpoint_on,
		    err) < 0)
		return -1;
	o.endpoint_off = !endpoint_on;
	if (two_way(req, "HttpProtocolIpv6", "httpProtocolIpv6", "disabled", "enabled", &ipv6,
		    err) < 0)
		return -1;
	if (ipv6) {
		/* Instances here have no IPv6 address, so IMDS has no IPv6 endpoint to turn on. */
		ec2_error_set(err, EC2_ERR_UNSUPPORTED_OPERATION, "The IPv6 endpoint of the instance "
			      "metadata service is not supported: instances here have no IPv6 "
			      "address.");
		return -1;
	}
	if (two_way(req, "InstanceMetadataTags", "instanceMetadataTags", "disabled", "enabled",
		    &o.tags, err) < 0)
		return -1;
	m->http_tokens_required = o.tokens_required;
	m->http_hop_limit = o.hop_limit;
	m->http_endpoint_off = o.endpoint_off;
	m->metadata_tags = o.tags;
	return 0;
}

json_object *metaopts_json(const struct ec2_meta *m)
{
	json_object *x = json_object_new_object();

	json_add_str(x, "State", "applied");
	json_add_str(x, "HttpTokens", m->http_tokens_required ? "required" : "optional");
	json_add_int(x, "HttpPutResponseHopLimit", m->http_hop_limit >= 1 ? m->http_hop_limit : 1);
	json_add_str(x, "HttpEndpoint", m->http_endpoint_off ? "disabled" : "enabled");
	json_add_str(x, "HttpProtocolIpv6", "disabled");
	json_add_str(x, "InstanceMetadataTags", m->metadata_tags ? "enabled" : "disabled");
	return x;
}

json_object *ec2_modify_instance_metadata_options(struct ec2_ctx *ctx, json_object *req,
						  struct ec2_error *err)
{
	struct inst *v = NULL;
	size_t n = 0;
	json_object *resp = NULL;

	/* one_live: MissingParameter when InstanceId is absent, as EC2 */
	if (one_live(ctx, req, &v, &n, err) < 0)
		goto out;
	/* metaopts_apply changes nothing unless every value is good; a dry run saves nothing. */
	if (metaopts_apply(req, &v[0].meta, err) < 0 || ec2_dry_run(req, err))
		goto out;
	if (ec2_meta_save(v[0].dom, &v[0].meta, err) < 0)
		goto out;
	resp = json_object_new_object();
	json_add_str(resp, "InstanceId", v[0].id);
	json_object_object_add(resp, "InstanceMetadataOptions", metaopts_json(&v[0].meta));
out:
	insts_free(v, n);
	return resp;
}
