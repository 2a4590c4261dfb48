/* The page's client of ec2-lite's Query API: EC2 (2016-11-15), IAM (2010-05-08) and CloudWatch
 * (2010-08-01), POST / with a form body signed with SigV4 (sigv4.js), answers parsed with
 * DOMParser. The credentials live in this object only (and in localStorage when the user asked
 * to be remembered). */
'use strict';

class ApiError extends Error {
	constructor(code, message, action) {
		super(message);
		this.code = code;
		this.action = action;
	}
}

const Api = (() => {
	const services = {
		ec2: { version: '2016-11-15', service: 'ec2' },
		iam: { version: '2010-05-08', service: 'iam' },
		monitoring: { version: '2010-08-01', service: 'monitoring' },
		sts: { version: '2011-06-15', service: 'sts' },
	};
	const state = { region: 'us-east-1', auth: true, cred: null };

	async function configure() {
		try {
			const r = await fetch('config.json', { cache: 'no-store' });
			if (r.ok)
				Object.assign(state, await r.json());
		} catch (e) {
			/* The defaults stand. */
		}
	}

	/* Calls action of svc ('ec2', 'iam', 'monitoring', 'sts') with params (an object of Query
	 * parameters, already flattened: {'InstanceId.1': 'i-...'}); resolves to the answer's
	 * document, rejects with an ApiError (the service's code and message). */
	async function call(action, params, svc) {
		const s = services[svc || 'ec2'];
		const body = SigV4.formEncode(Object.assign({ Action: action, Version: s.version }, params || {}));
		let headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' };
		if (state.auth) {
			if (!state.cred)
				throw new ApiError('AuthFailure', 'You are not signed in.', action);
			headers = await SigV4.sign({ method: 'POST', host: location.host, path: '/', query: '', headers, body },
				state.cred, state.region, s.service);
		}
		let r;
		try {
			r = await fetch('/', { method: 'POST', headers, body, cache: 'no-store' });
		} catch (e) {
			throw new ApiError('NetworkError', 'ec2-lite does not answer: ' + e.message, action);
		}
		const text = await r.text();
		const doc = new DOMParser().parseFromString(text, 'application/xml');
		if (!r.ok) {
			const code = X.text(doc, 'Code') || 'HTTP' + r.status;
			throw new ApiError(code, X.text(doc, 'Message') || r.statusText, action);
		}
		if (doc.getElementsByTagName('parsererror').length)
			throw new ApiError('InternalError', 'The answer is not XML', action);
		return doc.documentElement;
	}

	function signIn(accessKeyId, secretAccessKey, remember) {
		state.cred = { accessKeyId, secretAccessKey };
		if (remember)
			localStorage.setItem('ec2lite.cred', JSON.stringify(state.cred));
	}

	function restore() {
		try {
			const c = JSON.parse(localStorage.getItem('ec2lite.cred') || 'null');
			if (c && c.accessKeyId && c.secretAccessKey)
				state.cred = c;
		} catch (e) {
			localStorage.removeItem('ec2lite.cred');
		}
		return !!state.cred;
	}

	function signOut() {
		state.cred = null;
		localStorage.removeItem('ec2lite.cred');
	}

	return { call, configure, signIn, signOut, restore, state };
})();

/* Reading the answers' XML: elements by their local names. */
const X = {
	/* The first descendant element named name (or null). */
	find(node, name) {
		return node ? node.getElementsByTagName(name)[0] || null : null;
	},
	/* The text of the element a path of direct children names ('instanceState/name'), or of the
	 * first descendant with a name when the path has one step; '' when absent. */
	text(node, path) {
		const steps = path.split('/');
		let n = steps.length === 1 ? X.find(node, path) : node;
		if (steps.length > 1)
			for (const s of steps)
				n = X.child(n, s);
		return n ? n.textContent : '';
	},
	child(node, name) {
		if (!node)
			return null;
		for (const c of node.children)
			if (c.localName === name)
				return c;
		return null;
	},
	/* The item (or member) elements of node's direct child name. */
	items(node, name) {
		const set = X.child(node, name);
		return set ? Array.from(set.children).filter((c) => c.localName === 'item' || c.localName === 'member') : [];
	},
	/* Tags (a tagSet) as an object. */
	tags(node) {
		const o = {};
		for (const t of X.items(node, 'tagSet'))
			o[X.text(t, 'key')] = X.text(t, 'value');
		return o;
	},
};
