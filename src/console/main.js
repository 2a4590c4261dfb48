/* The console's entry: sign-in, the navigation and the routes (#/instances, #/launch, ...). */
'use strict';

let currentPage = null;

function signInPage() {
	const page = UI.clear(document.getElementById('page'));
	document.getElementById('nav').hidden = true;
	document.getElementById('signout').hidden = true;
	document.getElementById('who').textContent = '';
	const id = UI.el('input', { id: 'access-key-id', name: 'access-key-id', autocomplete: 'username', spellcheck: 'false', required: true });
	const secret = UI.el('input', { id: 'secret-access-key', type: 'password', autocomplete: 'current-password', required: true });
	const remember = UI.el('input', { id: 'remember', type: 'checkbox' });
	const error = UI.el('p', { class: 'field-error', id: 'signin-error', role: 'alert' });
	const button = UI.el('button', { type: 'submit', class: 'primary', id: 'signin' }, 'Sign in');
	const form = UI.el('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
		UI.el('h1', { id: 'signin-title' }, 'Sign in to the EC2 console'),
		UI.el('p', {}, `ec2-lite at ${location.host}, region ${Api.state.region}. The page signs each API request with your access key (SigV4); the secret stays in this page unless you tick “Remember me”.`),
		!SigV4.available() ? UI.el('p', { class: 'flash error', id: 'insecure' },
			'This browser gives no WebCrypto (crypto.subtle) here: it exists only in a secure context. Open the console at http://127.0.0.1:PORT/console/ or http://localhost:PORT/console/ (an SSH tunnel works), or over HTTPS.') : null,
		UI.field('Access key ID', id), UI.field('Secret access key', secret),
		UI.el('div', { class: 'check-field' }, remember, UI.el('label', { for: 'remember' }, 'Remember me on this browser (keeps the secret in localStorage)')),
		error, button);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		error.textContent = '';
		if (!SigV4.available()) {
			error.textContent = 'WebCrypto is not available: open the console from a secure context (see above).';
			return;
		}
		button.disabled = true;
		Api.signIn(id.value.trim(), secret.value, false);
		try {
			/* Any signed call proves the key: DescribeRegions reads nothing private. */
			await Api.call('DescribeRegions', {});
			if (remember.checked)
				Api.signIn(id.value.trim(), secret.value, true);
			signedIn();
		} catch (err) {
			Api.signOut();
			error.textContent = UI.errorText(err);
		}
		button.disabled = false;
	});
	page.append(form);
	(Api.state.auth ? id : button).focus();
}

function signedIn() {
	document.getElementById('nav').hidden = false;
	document.getElementById('signout').hidden = false;
	document.getElementById('who').textContent = Api.state.cred ? `${Api.state.cred.accessKeyId} · ${Api.state.region}` : Api.state.region;
	if (!location.hash || location.hash === '#/' || location.hash === '#/signin')
		location.hash = '#/instances';
	else
		route();
}

function route() {
	if (Api.state.auth && !Api.state.cred)
		return signInPage();
	const parts = location.hash.replace(/^#\/?/, '').split('/');
	const page = Pages[parts[0]] || Pages.instances;
	if (currentPage && currentPage.leave)
		currentPage.leave();
	currentPage = page;
	for (const a of document.querySelectorAll('#nav a'))
		a.classList.toggle('active', a.getAttribute('href') === '#/' + parts[0]);
	for (const a of document.querySelectorAll('#nav a'))
		if (a.classList.contains('active'))
			a.setAttribute('aria-current', 'page');
		else
			a.removeAttribute('aria-current');
	page.show(UI.clear(document.getElementById('page')), parts.slice(1));
}

document.addEventListener('DOMContentLoaded', async () => {
	await Api.configure();
	document.getElementById('signout').addEventListener('click', () => {
		Api.signOut();
		if (currentPage && currentPage.leave)
			currentPage.leave();
		currentPage = null;
		location.hash = '#/signin';
		signInPage();
	});
	window.addEventListener('hashchange', () => {
		if (Api.state.cred || !Api.state.auth)
			route();
	});
	if (!Api.state.auth || Api.restore())
		signedIn();
	else
		signInPage();
});
