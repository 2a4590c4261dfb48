/* Small DOM helpers shared by the pages: elements, flash messages, modal dialogs, tables. No
 * inline style or script anywhere (the server's Content-Security-Policy forbids them). */
'use strict';

const UI = (() => {
	/* el('button', {class: 'primary', onclick: f}, 'Launch'): attributes starting with "on"
	 * are listeners; children are strings or nodes (null and false are skipped). */
	function el(tag, attrs, ...children) {
		const e = tag === 'svg' || tag === 'path' || tag === 'line' || tag === 'text' || tag === 'polyline' || tag === 'rect'
			? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === undefined || v === null || v === false)
				continue;
			if (k.startsWith('on'))
				e.addEventListener(k.slice(2), v);
			else if (k === 'text')
				e.textContent = v;
			else
				e.setAttribute(k, v === true ? '' : v);
		}
		return put(e, ...children);
	}

	/* Appends children to node as el() does: arrays flattened, null and false skipped (the
	 * DOM's append would write them as text). */
	function put(node, ...children) {
		for (const c of children.flat(Infinity))
			if (c !== null && c !== undefined && c !== false)
				node.append(c.nodeType ? c : document.createTextNode(String(c)));
		return node;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
		return node;
	}

	/* A message at the top of the page: kind 'success', 'error' or 'info'. */
	function flash(kind, text) {
		const box = document.getElementById('flash');
		const m = el('div', { class: 'flash ' + kind, role: kind === 'error' ? 'alert' : 'status' },
			el('span', { class: 'flash-text' }, text),
			el('button', { class: 'link close', 'aria-label': 'Dismiss', onclick: () => m.remove() }, '×'));
		box.append(m);
		if (kind !== 'error')
			setTimeout(() => m.remove(), 15000);
		return m;
	}

	/* A modal dialog: title, body (nodes), buttons [{label, kind, action}] where action returns
	 * (or resolves to) false to keep the dialog open. Escape and Cancel close it; focus goes to
	 * its first field or button and back where it was afterwards. */
	function modal(title, body, buttons, opts) {
		const back = document.activeElement;
		const error = el('p', { class: 'field-error', role: 'alert', 'data-error-for': 'modal' });
		const close = () => {
			overlay.remove();
			if (back && back.focus)
				back.focus();
		};
		const bar = el('div', { class: 'modal-buttons' },
			el('button', { type: 'button', class: 'cancel', onclick: close }, 'Cancel'),
			buttons.map((b) => el('button', {
				type: 'button', class: b.kind || 'primary',
				onclick: async (ev) => {
					ev.target.disabled = true;
					error.textContent = '';
					try {
						if ((await b.action()) !== false)
							close();
					} catch (e) {
						error.textContent = (e.code ? e.code + ': ' : '') + e.message;
					}
					ev.target.disabled = false;
				},
			}, b.label)));
		const dialog = el('div', { class: 'modal' + (opts && opts.wide ? ' wide' : ''), role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'modal-title' },
			el('h2', { id: 'modal-title' }, title), el('div', { class: 'modal-body' }, body), error, bar);
		const overlay = el('div', { class: 'overlay' }, dialog);
		overlay.addEventListener('keydown', (e) => {
			if (e.key === 'Escape')
				close();
			if (e.key === 'Tab') {
				/* Focus stays inside the dialog. */
				const f = dialog.querySelectorAll('button, input, select, textarea, a[href], [tabindex="0"]');
				const first = f[0], last = f[f.length - 1];
				if (e.shiftKey && document.activeElement === first) {
					last.focus();
					e.preventDefault();
				} else if (!e.shiftKey && document.activeElement === last) {
					first.focus();
					e.preventDefault();
				}
			}
		});
		document.body.append(overlay);
		const focus = dialog.querySelector('input, select, textarea') || bar.lastChild;
		focus.focus();
		return { close, dialog };
	}

	/* A table: columns [{label, value(row) -> string|node}], rows; opts.select(row) makes rows
	 * selectable by a checkbox (opts.selected: a Set of keys, opts.key(row)). */
	function table(columns, rows, opts) {
		opts = opts || {};
		const head = el('tr', {}, opts.key ? el('th', { class: 'check' }, el('span', { class: 'sr' }, 'Select')) : null,
			columns.map((c) => el('th', { scope: 'col' }, c.label)));
		const body = rows.map((r) => {
			const k = opts.key ? opts.key(r) : null;
			const tr = el('tr', { class: k && opts.selected.has(k) ? 'selected' : null, 'data-key': k },
				k ? el('td', { class: 'check' }, el('input', {
					type: 'checkbox', 'aria-label': 'Select ' + k, checked: opts.selected.has(k),
					onchange: (e) => opts.onselect(k, e.target.checked),
				})) : null,
				columns.map((c) => el('td', { class: c.cls }, c.value(r))));
			return tr;
		});
		if (!rows.length)
			body.push(el('tr', {}, el('td', { colspan: columns.length + (opts.key ? 1 : 0), class: 'empty' }, opts.empty || 'No resources found')));
		return el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), el('tbody', {}, body)));
	}

	/* A labelled field: label text, the control, help text; an error slot beside it. */
	function field(label, control, help, name) {
		const id = control.id || ('f-' + Math.random().toString(36).slice(2));
		control.id = id;
		return el('div', { class: 'field', 'data-field': name || null },
			el('label', { for: id }, label), control,
			help ? el('p', { class: 'help' }, help) : null,
			el('p', { class: 'field-error', role: 'alert', 'data-error-for': name || null }));
	}

	/* An error shown beside the field whose UI.field slot is data-error-for=name (else beside
	 * fallback's slot): the field is marked invalid and takes the focus. */
	function setError(name, text, fallback) {
		const slot = document.querySelector(`[data-error-for="${name}"]`) || document.querySelector(`[data-error-for="${fallback || 'summary'}"]`);
		slot.textContent = text;
		const fieldBox = slot.closest('.field, .panel');
		if (fieldBox)
			fieldBox.classList.add('has-error');
		const control = fieldBox && fieldBox.querySelector('input, select, textarea');
		if (control) {
			control.setAttribute('aria-invalid', 'true');
			control.focus();
		}
		slot.scrollIntoView({ block: 'center' });
	}

	function clearErrors() {
		for (const s of document.querySelectorAll('[data-error-for]'))
			s.textContent = '';
		for (const b of document.querySelectorAll('.has-error'))
			b.classList.remove('has-error');
		for (const c of document.querySelectorAll('[aria-invalid]'))
			c.removeAttribute('aria-invalid');
	}

	function download(name, text, type) {
		const url = URL.createObjectURL(new Blob([text], { type: type || 'application/x-pem-file' }));
		const a = el('a', { href: url, download: name, class: 'hidden' });
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 10000);
	}

	function errorText(e) {
		return (e.code ? e.code + ': ' : '') + e.message;
	}

	return { el, put, clear, flash, modal, table, field, setError, clearErrors, download, errorText };
})();

/* The pages by their route (#/instances, ...): each script adds its own; main.js routes. */
const Pages = {};
