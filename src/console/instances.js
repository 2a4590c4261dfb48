/* Instances: the table (DescribeInstances with DescribeInstanceStatus IncludeAllInstances for
 * the status checks), polled every few seconds; the instance state actions with EC2's
 * confirmations; Connect, Create image, Get system log; and the details pane with its tabs. */
'use strict';

const Instances = (() => {
	const el = UI.el;
	const POLL_MS = 3000;
	let timer = null, root = null, selected = new Set(), filterText = '', rows = [], statuses = {};
	let detailTab = 'details', openDetail = null;

	async function load() {
		const [doc, st] = await Promise.all([
			Api.call('DescribeInstances', {}),
			Api.call('DescribeInstanceStatus', { IncludeAllInstances: 'true' }).catch(() => null),
		]);
		const list = [];
		for (const r of X.items(doc, 'reservationSet'))
			for (const i of X.items(r, 'instancesSet'))
				list.push(parse(i));
		statuses = {};
		if (st)
			for (const s of X.items(st, 'instanceStatusSet'))
				statuses[X.text(s, 'instanceId')] = {
					system: X.text(s, 'systemStatus/status'),
					instance: X.text(s, 'instanceStatus/status'),
				};
		return list;
	}

	function parse(i) {
		const tags = X.tags(i);
		return {
			node: i,
			id: X.text(i, 'instanceId'),
			name: tags.Name || '',
			tags,
			state: X.text(i, 'instanceState/name'),
			type: X.text(i, 'instanceType'),
			zone: X.text(i, 'placement/availabilityZone'),
			publicIp: X.text(i, 'ipAddress'),
			privateIp: X.text(i, 'privateIpAddress'),
			publicDns: X.text(i, 'dnsName'),
			privateDns: X.text(i, 'privateDnsName'),
			image: X.text(i, 'imageId'),
			key: X.text(i, 'keyName'),
			launch: X.text(i, 'launchTime'),
			vpc: X.text(i, 'vpcId'),
			subnet: X.text(i, 'subnetId'),
			groups: X.items(i, 'groupSet').map((g) => ({ id: X.text(g, 'groupId'), name: X.text(g, 'groupName') })),
			profile: X.text(i, 'iamInstanceProfile/arn'),
			reason: X.text(i, 'stateReason/message'),
			hibernation: X.text(i, 'hibernationOptions/configured') === 'true',
			platform: X.text(i, 'platformDetails'),
			arch: X.text(i, 'architecture'),
			root: X.text(i, 'rootDeviceName'),
		};
	}

	/* EC2's status check column: "2/2 checks passed", "Initializing", "1/2 checks passed". */
	function checks(r) {
		const s = statuses[r.id];
		if (r.state !== 'running' || !s)
			return '–';
		if (s.system === 'initializing' || s.instance === 'initializing')
			return 'Initializing';
		const n = (s.system === 'ok') + (s.instance === 'ok');
		return `${n}/2 checks passed`;
	}

	function stateBadge(state) {
		const label = state ? state[0].toUpperCase() + state.slice(1) : '';
		return el('span', { class: 'state state-' + state, 'data-state': state }, label);
	}

	function matches(r) {
		if (!filterText)
			return true;
		const t = filterText.toLowerCase();
		return [r.name, r.id, r.state, r.type, r.zone, r.publicIp, r.privateIp].some((v) => v && v.toLowerCase().includes(t));
	}

	function selectedRows() {
		return rows.filter((r) => selected.has(r.id));
	}

	function render() {
		if (!root)
			return;
		const tableBox = root.querySelector('#instances-table');
		const shown = rows.filter(matches);
		const focusKey = document.activeElement && document.activeElement.closest && document.activeElement.closest('#instances-table tr')
			? document.activeElement.closest('tr').getAttribute('data-key') : null;
		const focusCol = focusKey ? Array.from(document.activeElement.closest('tr').querySelectorAll('input, a')).indexOf(document.activeElement) : -1;
		UI.clear(tableBox).append(UI.table([
			{ label: 'Name', value: (r) => r.name || '–', cls: 'name' },
			{ label: 'Instance ID', value: (r) => el('a', { href: '#/instances/' + r.id, class: 'instance-id' }, r.id) },
			{ label: 'Instance state', value: (r) => stateBadge(r.state) },
			{ label: 'Instance type', value: (r) => r.type },
			{ label: 'Status check', value: (r) => el('span', { class: 'checks' }, checks(r)) },
			{ label: 'Availability Zone', value: (r) => r.zone },
			{ label: 'Public IPv4 address', value: (r) => r.publicIp ? el('a', { href: 'http://' + r.publicIp + '/', target: '_blank', rel: 'noopener noreferrer', class: 'public-ip' }, r.publicIp) : '–' },
		], shown, {
			key: (r) => r.id, selected, empty: filterText ? 'No instances match the filter' : 'No instances. Launch an instance to get started.',
			onselect: (k, on) => {
				if (on)
					selected.add(k);
				else
					selected.delete(k);
				render();
			},
		}));
		if (focusKey) {
			const tr = tableBox.querySelector(`tr[data-key="${focusKey}"]`);
			const f = tr && tr.querySelectorAll('input, a')[focusCol];
			if (f)
				f.focus();
		}
		root.querySelector('#instances-count').textContent = `(${rows.length})`;
		const sel = selectedRows();
		for (const b of root.querySelectorAll('[data-needs]'))
			b.disabled = b.getAttribute('data-needs') === 'one' ? sel.length !== 1 : sel.length === 0;
		renderDetail();
	}

	async function refresh() {
		try {
			rows = await load();
			const ids = new Set(rows.map((r) => r.id));
			for (const k of Array.from(selected))
				if (!ids.has(k))
					selected.delete(k);
			render();
		} catch (e) {
			if (!document.querySelector('.flash.error.poll'))
				UI.flash('error', 'Cannot describe instances: ' + UI.errorText(e)).classList.add('poll');
		}
	}

	function poll() {
		clearTimeout(timer);
		timer = setTimeout(async () => {
			await refresh();
			if (root)
				poll();
		}, POLL_MS);
	}

	function idParams(list) {
		const p = {};
		list.forEach((r, i) => { p['InstanceId.' + (i + 1)] = r.id; });
		return p;
	}

	function idList(list) {
		return el('ul', { class: 'id-list' }, list.map((r) => el('li', {}, r.id + (r.name ? ` (${r.name})` : ''))));
	}

	/* The instance state actions, as EC2's console words them. */
	const actions = {
		stop: { title: 'Stop instance?', label: 'Stop', action: 'StopInstances', done: 'Successfully stopped',
			text: 'Are you sure you want to stop these instances? Any data on the ephemeral storage of your instances will be lost.' },
		start: { action: 'StartInstances', done: 'Successfully started' },
		reboot: { title: 'Reboot instance?', label: 'Reboot', action: 'RebootInstances', done: 'Successfully rebooted',
			text: 'Are you sure you want to reboot these instances?' },
		hibernate: { title: 'Hibernate instance?', label: 'Hibernate', action: 'StopInstances', extra: { Hibernate: 'true' }, done: 'Successfully hibernated',
			text: 'Are you sure you want to hibernate these instances? The contents of their memory (RAM) are saved to the root volume.' },
		terminate: { title: 'Terminate (delete) instance?', label: 'Terminate (delete)', action: 'TerminateInstances', kind: 'danger', done: 'Successfully terminated',
			text: 'On an EBS-backed instance, the default action is for the root EBS volume to be deleted when the instance is terminated. Storage on any local drives will be lost.' },
	};

	async function doAction(name, list) {
		const a = actions[name];
		const run = async () => {
			await Api.call(a.action, Object.assign(idParams(list), a.extra || {}));
			UI.flash('success', `${a.done} ${list.map((r) => r.id).join(', ')}`);
			await refresh();
		};
		if (!a.title) {
			try {
				await run();
			} catch (e) {
				UI.flash('error', `Failed to ${name} ${list.map((r) => r.id).join(', ')}: ${UI.errorText(e)}`);
			}
			return;
		}
		UI.modal(a.title, [el('p', {}, a.text), idList(list)], [{ label: a.label, kind: a.kind || 'primary', action: run }]);
	}

	function connect(r) {
		const user = 'admin';
		const key = r.key ? `${r.key}.pem` : 'KEY.pem';
		const host = r.publicIp || r.privateIp;
		const cmd = `ssh -i "${key}" ${user}@${host}`;
		UI.modal('Connect to instance', [
			el('p', {}, `Instance ID: ${r.id}${r.name ? ' (' + r.name + ')' : ''}`),
			el('h3', {}, 'SSH client'),
			el('ol', {},
				el('li', {}, 'Open an SSH client.'),
				el('li', {}, r.key ? `Locate your private key file (${key}). Its permissions must be private: chmod 400 "${key}"` : 'This instance was launched without a key pair: the SSH client needs another way in (a key in the user data, or none).'),
				el('li', {}, `Connect to your instance using its ${r.publicIp ? 'Public IP' : 'private IP'}: ${host || '(none yet)'}`)),
			el('p', {}, 'Example:'),
			el('pre', { class: 'code', id: 'ssh-command' }, cmd),
			el('p', { class: 'help' }, `The user name is the AMI's default user (${user} on debian-12, root on tiny).`),
		], [{ label: 'Copy command', action: async () => { await navigator.clipboard.writeText(cmd).catch(() => {}); UI.flash('info', 'Copied: ' + cmd); } }]);
	}

	function createImage(r) {
		const name = el('input', { id: 'image-name', required: true });
		const desc = el('input', { id: 'image-description' });
		const noReboot = el('input', { type: 'checkbox', id: 'no-reboot' });
		UI.modal('Create image', [
			el('p', {}, `Instance ID: ${r.id}`),
			UI.field('Image name', name), UI.field('Image description - optional', desc),
			el('div', { class: 'check-field' }, noReboot, el('label', { for: 'no-reboot' }, 'No reboot (Enable)')),
		], [{ label: 'Create image', action: async () => {
			const p = { InstanceId: r.id, Name: name.value };
			if (desc.value)
				p.Description = desc.value;
			if (noReboot.checked)
				p.NoReboot = 'true';
			const doc = await Api.call('CreateImage', p);
			UI.flash('success', `Successfully created ${X.text(doc, 'imageId')} from instance ${r.id}.`);
		} }]);
	}

	async function systemLog(r) {
		let out = '';
		try {
			const doc = await Api.call('GetConsoleOutput', { InstanceId: r.id, Latest: 'true' });
			const b64 = X.text(doc, 'output');
			out = b64 ? new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))) : '';
		} catch (e) {
			out = UI.errorText(e);
		}
		UI.modal('Get system log', [el('p', {}, `Instance ID: ${r.id}`), el('pre', { class: 'log', id: 'system-log', tabindex: '0' }, out || 'No output yet.')],
			[{ label: 'Download', kind: 'secondary', action: () => { UI.download(r.id + '-system-log.txt', out, 'text/plain'); return false; } }], { wide: true });
	}

	/* ec2-lite's own DescribeBootTimeline (not EC2's): where the boot's seconds went. */
	async function bootTimeline(r) {
		let body;
		try {
			const t = X.items(await Api.call('DescribeBootTimeline', { 'InstanceId.1': r.id }), 'bootTimelineSet')[0];
			const phases = t ? X.items(t, 'phaseSet').map((p) => ({ phase: X.text(p, 'phase'), seconds: Number(X.text(p, 'seconds')).toFixed(2) })) : [];
			body = t ? [el('p', {}, `Boot started at ${X.text(t, 'startedAt')}${X.text(t, 'complete') === 'true' ? '' : ' (still booting)'}.`),
				UI.table([{ label: 'Phase', value: (p) => p.phase }, { label: 'Seconds since start', value: (p) => p.seconds }], phases, { empty: 'No phase reached yet' })]
				: [el('p', {}, 'No boot timeline: the instance has not booted since ec2-lite started watching it.')];
		} catch (e) {
			body = [el('p', { class: 'field-error' }, UI.errorText(e))];
		}
		UI.modal('Boot timeline', [el('p', {}, `Instance ID: ${r.id}`), el('div', { id: 'boot-timeline' }, body),
			el('p', { class: 'help' }, "ec2-lite's own action (DescribeBootTimeline), not EC2's.")], []);
	}

	function kv(pairs) {
		return el('dl', { class: 'kv' }, pairs.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v === '' || v === undefined || v === null ? '–' : v)]));
	}

	async function securityTab(box, r) {
		box.append(kv([['Security groups', r.groups.map((g) => `${g.id} (${g.name})`).join(', ')], ['IAM Role', r.profile.replace(/.*instance-profile\//, '')], ['Key pair assigned at launch', r.key]]));
		if (!r.groups.length)
			return;
		const p = {};
		r.groups.forEach((g, i) => { p['GroupId.' + (i + 1)] = g.id; });
		try {
			const doc = await Api.call('DescribeSecurityGroups', p);
			const rules = [];
			for (const g of X.items(doc, 'securityGroupInfo'))
				for (const perm of X.items(g, 'ipPermissions'))
					for (const range of X.items(perm, 'ipRanges'))
						rules.push({ group: X.text(g, 'groupId'), proto: X.text(perm, 'ipProtocol'), from: X.text(perm, 'fromPort'), to: X.text(perm, 'toPort'), cidr: X.text(range, 'cidrIp') });
			box.append(el('h3', {}, 'Inbound rules'), UI.table([
				{ label: 'Security group', value: (x) => x.group },
				{ label: 'Port range', value: (x) => x.proto === '-1' ? 'All' : x.from === x.to ? x.from : `${x.from} - ${x.to}` },
				{ label: 'Protocol', value: (x) => x.proto === '-1' ? 'All' : x.proto.toUpperCase() },
				{ label: 'Source', value: (x) => x.cidr },
			], rules, { empty: 'No inbound rules' }));
		} catch (e) {
			box.append(el('p', { class: 'field-error' }, UI.errorText(e)));
		}
	}

	function renderDetail() {
		const pane = root && root.querySelector('#detail');
		if (!pane)
			return;
		const sel = selectedRows();
		if (sel.length !== 1) {
			if (openDetail)
				Monitoring.stop();
			openDetail = null;
			UI.clear(pane).append(el('p', { class: 'muted' }, sel.length ? `${sel.length} instances selected` : 'Select an instance to see its details.'));
			return;
		}
		const r = sel[0];
		const key = r.id + '/' + detailTab;
		const summary = pane.querySelector('.detail-summary');
		if (openDetail === key && summary) {
			/* A poll: only the summary changes; an open tab is left as it is. */
			summary.replaceWith(detailSummary(r));
			return;
		}
		openDetail = key;
		Monitoring.stop();
		const tabs = ['Details', 'Security', 'Networking', 'Storage', 'Monitoring', 'Tags'];
		const body = el('div', { class: 'tab-body', role: 'tabpanel', id: 'tab-' + detailTab });
		const bar = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Instance details' }, tabs.map((t) => el('button', {
			type: 'button', role: 'tab', id: 'tabbtn-' + t.toLowerCase(), 'aria-selected': String(detailTab === t.toLowerCase()), class: detailTab === t.toLowerCase() ? 'active' : null,
			onclick: () => { detailTab = t.toLowerCase(); renderDetail(); pane.querySelector('#tabbtn-' + detailTab).focus(); },
		}, t)));
		UI.clear(pane).append(el('h2', {}, `Instance: ${r.id}${r.name ? ' (' + r.name + ')' : ''}`), detailSummary(r), bar, body);
		if (detailTab === 'details')
			body.append(kv([['Instance ID', r.id], ['Instance state', stateBadge(r.state)], ['Instance type', r.type], ['AMI ID', r.image], ['Platform details', r.platform], ['Architecture', r.arch], ['Key pair name', r.key], ['Launch time', r.launch], ['IAM Role', r.profile.replace(/.*instance-profile\//, '')], ['Stop - Hibernation behavior', r.hibernation ? 'Enabled' : 'Disabled'], ['Root device name', r.root], ['State transition reason', r.reason]]));
		else if (detailTab === 'security')
			securityTab(body, r);
		else if (detailTab === 'networking')
			body.append(kv([['Public IPv4 address', r.publicIp], ['Public IPv4 DNS', r.publicDns], ['Private IPv4 addresses', r.privateIp], ['Private IP DNS name', r.privateDns], ['VPC ID', r.vpc], ['Subnet ID', r.subnet], ['Availability Zone', r.zone]]));
		else if (detailTab === 'storage')
			Ebs.storageTab(body, r);
		else if (detailTab === 'monitoring')
			Monitoring.show(body, r.id);
		else if (detailTab === 'tags')
			body.append(UI.table([{ label: 'Key', value: (t) => t[0] }, { label: 'Value', value: (t) => t[1] }], Object.entries(r.tags), { empty: 'No tags' }));
	}

	function detailSummary(r) {
		return el('div', { class: 'detail-summary' }, kv([['Instance state', stateBadge(r.state)], ['Status check', checks(r)], ['Public IPv4 address', r.publicIp], ['Private IPv4 address', r.privateIp]]));
	}

	function menu(label, items) {
		/* A <details> menu: the keyboard opens it as a button; Escape closes it. */
		const onkeydown = (e) => {
			if (e.key === 'Escape' && e.currentTarget.open) {
				e.currentTarget.open = false;
				e.currentTarget.querySelector('summary').focus();
			}
		};
		return el('details', { class: 'menu', onkeydown }, el('summary', { class: 'button' }, label),
			el('div', { class: 'menu-items' }, items.map(([text, id, fn, needs]) => el('button', {
				type: 'button', id, 'data-needs': needs || 'some',
				onclick: (e) => { e.target.closest('details').open = false; fn(selectedRows()); },
			}, text))));
	}

	function show(page, args) {
		root = page;
		openDetail = null;
		if (args[0]) {
			selected = new Set([args[0]]);
		}
		const search = el('input', { type: 'search', id: 'instance-filter', placeholder: 'Find Instance by attribute or tag', 'aria-label': 'Find instances', value: filterText,
			oninput: (e) => { filterText = e.target.value; render(); } });
		page.append(
			el('div', { class: 'page-head' },
				el('h1', {}, 'Instances ', el('span', { id: 'instances-count', class: 'muted' }, '')),
				el('div', { class: 'toolbar' },
					el('button', { type: 'button', id: 'refresh', 'aria-label': 'Refresh', onclick: refresh }, '⟳'),
					el('button', { type: 'button', id: 'connect', 'data-needs': 'one', onclick: () => connect(selectedRows()[0]) }, 'Connect'),
					menu('Instance state', [
						['Stop instance', 'action-stop', (l) => doAction('stop', l)],
						['Start instance', 'action-start', (l) => doAction('start', l)],
						['Reboot instance', 'action-reboot', (l) => doAction('reboot', l)],
						['Hibernate instance', 'action-hibernate', (l) => doAction('hibernate', l)],
						['Terminate (delete) instance', 'action-terminate', (l) => doAction('terminate', l)],
					]),
					menu('Actions', [
						['Connect', 'action-connect', (l) => connect(l[0]), 'one'],
						['Image and templates: Create image', 'action-create-image', (l) => createImage(l[0]), 'one'],
						['Monitor and troubleshoot: Get system log', 'action-system-log', (l) => systemLog(l[0]), 'one'],
						['Monitor and troubleshoot: Boot timeline', 'action-boot-timeline', (l) => bootTimeline(l[0]), 'one'],
					]),
					el('a', { href: '#/launch', class: 'button primary', id: 'launch-instances' }, 'Launch instances'))),
			search,
			el('div', { id: 'instances-table' }),
			el('section', { id: 'detail', class: 'detail', 'aria-label': 'Instance details' }));
		render();
		refresh().then(poll);
	}

	function leave() {
		clearTimeout(timer);
		root = null;
		Monitoring.stop();
	}

	return { show, leave };
})();

Pages.instances = Instances;
