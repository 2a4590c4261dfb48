/* AWS Signature Version 4 in the browser (WebCrypto), as the aws CLI signs a Query API request:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * ec2-lite's server checks it with src/api/sigv4.c. crypto.subtle exists only in a secure
 * context (https, or http://127.0.0.1 and http://localhost). */
'use strict';

const SigV4 = (() => {
	const enc = new TextEncoder();

	function hex(buf) {
		return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
	}

	async function sha256(data) {
		return hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? enc.encode(data) : data));
	}

	async function hmac(key, msg) {
		const k = await crypto.subtle.importKey('raw', typeof key === 'string' ? enc.encode(key) : key,
			{ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
		return crypto.subtle.sign('HMAC', k, enc.encode(msg));
	}

	/* RFC 3986 encoding, as SigV4 and the Query protocol want it (encodeURIComponent leaves
	 * !'()* alone). */
	function uriEncode(s) {
		return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
	}

	/* A form body (or query string) from an object of parameters, in the order given. */
	function formEncode(params) {
		return Object.keys(params).map((k) => uriEncode(k) + '=' + uriEncode(String(params[k]))).join('&');
	}

	function canonicalQuery(query) {
		if (!query)
			return '';
		return query.split('&').map((p) => {
			const i = p.indexOf('=');
			const k = i < 0 ? p : p.slice(0, i), v = i < 0 ? '' : p.slice(i + 1);
			return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))];
		}).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
			.map((p) => p[0] + '=' + p[1]).join('&');
	}

	function amzDate(d) {
		return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
	}

	/* Signs req = { method, host, path, query, headers: {name: value}, body } for
	 * cred = { accessKeyId, secretAccessKey, sessionToken? } in region and service at date (a
	 * Date; now when absent). Returns the headers to send: the request's, X-Amz-Date and
	 * Authorization (Host is the browser's to send, signed here as given). */
	async function sign(req, cred, region, service, date) {
		const t = amzDate(date || new Date());
		const day = t.slice(0, 8);
		const headers = Object.assign({}, req.headers || {});
		headers['X-Amz-Date'] = t;
		if (cred.sessionToken)
			headers['X-Amz-Security-Token'] = cred.sessionToken;
		const all = Object.assign({ host: req.host }, headers);
		const names = Object.keys(all).map((n) => n.toLowerCase()).sort();
		const value = (n) => {
			const k = Object.keys(all).find((x) => x.toLowerCase() === n);
			return String(all[k]).trim().replace(/\s+/g, ' ');
		};
		const canonicalHeaders = names.map((n) => n + ':' + value(n) + '\n').join('');
		const signedHeaders = names.join(';');
		const canonical = [req.method, req.path || '/', canonicalQuery(req.query), canonicalHeaders,
			signedHeaders, await sha256(req.body || '')].join('\n');
		const scope = `${day}/${region}/${service}/aws4_request`;
		const toSign = ['AWS4-HMAC-SHA256', t, scope, await sha256(canonical)].join('\n');
		let k = await hmac('AWS4' + cred.secretAccessKey, day);
		k = await hmac(k, region);
		k = await hmac(k, service);
		k = await hmac(k, 'aws4_request');
		const signature = hex(await hmac(k, toSign));
		headers.Authorization = `AWS4-HMAC-SHA256 Credential=${cred.accessKeyId}/${scope}, ` +
			`SignedHeaders=${signedHeaders}, Signature=${signature}`;
		return headers;
	}

	return { sign, formEncode, uriEncode, sha256, available: () => !!(window.crypto && crypto.subtle) };
})();
