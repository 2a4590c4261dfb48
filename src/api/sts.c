/* AWS STS at the EC2 endpoint: GetCallerIdentity, so that `aws sts get-caller-identity` and the
 * tools that ask it first (Terraform's AWS provider, boto3 scripts) learn whose keys they hold.
 * See api.h. The account is the configured owner id (EC2's OwnerId everywhere); a key with a
 * user name is that IAM user (arn:aws:iam::ACCOUNT:user/NAME, a stable AIDA... id), a key
 * without one the account's root (arn:aws:iam::ACCOUNT:root, the account as its id). */
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "api.h"

#define X(s) ((const xmlChar *)(s))

bool api_sts_action(const char *name)
{
	static const char *const actions[] = {
		"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity",
		"DecodeAuthorizationMessage", "GetAccessKeyInfo", "GetCallerIdentity",
		"GetFederationToken", "GetSessionToken", NULL,
	};
	size_t i;

	for (i = 0; name && actions[i]; i++)
		if (strcmp(actions[i], name) == 0)
			return true;
	return false;
}

bool api_user_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 1 && n <= 64 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-") == n;
}

void api_sts_identity(const char *account, const struct api_key *key, struct api_identity *out)
{
	static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

	memset(out, 0, sizeof(*out));
	snprintf(out->account, sizeof(out->account), "%s", account);
	if (!key || !key->user) {
		snprintf(out->arn, sizeof(out->arn), "arn:aws:iam::%s:root", account);
		snprintf(out->user_id, sizeof(out->user_id), "%s", account);
	} else {
		/* IAM's user ids are AIDA and 17 base32 characters: here a digest of the access
		 * key's id, the same on every request and every run. */
		unsigned char d[SHA256_DIGEST_LENGTH];
		size_t i;

		SHA256((const unsigned char *)key->id, strlen(key->id), d);
		memcpy(out->user_id, "AIDA", 4);
		for (i = 0; i < 17; i++)
			out->user_id[4 + i] = base32[d[i] & 31];
		out->user_id[21] = '\0';
		snprintf(out->arn, sizeof(out->arn), "arn:aws:iam::%s:user/%s", account, key->user);
	}
}

char *api_xml_finish(xmlTextWriterPtr w, xmlBufferPtr buf, size_t *len)
{
	char *s;

	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	s = strdup((const char *)xmlBufferContent(buf));
	if (!s)
		abort();
	if (len)
		*len = strlen(s);
	xmlBufferFree(buf);
	return s;
}

char *api_sts_identity_xml(const struct api_identity *id, const char *request_id, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);

	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElementNS(w, NULL, X("GetCallerIdentityResponse"), X(API_STS_XMLNS));
	xmlTextWriterStartElement(w, X("GetCallerIdentityResult"));
	xmlTextWriterWriteElement(w, X("Arn"), X(id->arn));
	xmlTextWriterWriteElement(w, X("UserId"), X(id->user_id));
	xmlTextWriterWriteElement(w, X("Account"), X(id->account));
	xmlTextWriterEndElement(w);
	xmlTextWriterStartElement(w, X("ResponseMetadata"));
	xmlTextWriterWriteElement(w, X("RequestId"), X(request_id));
	xmlTextWriterEndElement(w);
	xmlTextWriterEndElement(w);
	return api_xml_finish(w, buf, len);
}

char *api_sts_error_xml(const char *code, const char *message, const char *request_id,
			size_t *len)
{
	return api_service_error_xml(API_STS_XMLNS, code, message, request_id, len);
}

void api_sts_assumed_identity(const char *account, const char *role, const char *role_id,
			      const char *session, struct api_identity *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->account, sizeof(out->account), "%s", account);
	snprintf(out->arn, sizeof(out->arn), "arn:aws:sts::%s:assumed-role/%s/%s", account, role,
		 session);
	snprintf(out->user_id, sizeof(out->user_id), "%s:%s", role_id, session);
}

char *api_service_error_xml(const char *xmlns, const char *code, const char *message,
			    const char *request_id, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);

	xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL);
	xmlTextWriterStartElementNS(w, NULL, X("ErrorResponse"), X(xmlns));
	xmlTextWriterStartElement(w, X("Error"));
	xmlTextWriterWriteElement(w, X("Type"), X(api_error_status(code) >= 500 ? "Receiver" :
						      "Sender"));
	xmlTextWriterWriteElement(w, X("Code"), X(code));
	xmlTextWriterWriteElement(w, X("Message"), X(message));
	xmlTextWriterEndElement(w);
	xmlTextWriterWriteElement(w, X("RequestId"), X(request_id));
	xmlTextWriterEndElement(w);
	return api_xml_finish(w, buf, len);
}
