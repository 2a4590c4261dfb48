/* The other pages: AMIs, Security Groups (inbound rules: Authorize/Revoke), Key Pairs (create
 * with the .pem download, import, delete), Elastic IPs and Availability Zones. */
'use strict';

const Resources = (() => {
	const el = UI.el;

	function head(title, ...buttons) {
		return el('div', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'toolbar' }, buttons));
	}

	function errorBox(box, e) {
		UI.clear(box).append(el('p', { class: 'field-error', role: 'alert' }, UI.errorText(e)));
	}

	/* A list page: load() resolves to rows, columns as UI.table's; single selection. */
	function listPage(opts) {
		let selected = new Set(), rows = [], box, root;
		async function refresh() {
			try {
				rows = await opts.load();
				for (const k of Array.from(selected))
					if (!rows.some((r) => opts.key(r) === k))
						selected.delete(k);
				render();
			} catch (e) {
				if (box.isConnected)
					errorBox(box, e);
			}
		}
		function render() {
			/* An answer that comes after the user left the page changes nothing. */
			if (!box.isConnected)
				return;
			UI.clear(box).append(UI.table(opts.columns, rows, {
				key: opts.key, selected, empty: opts.empty,
				onselect: (k, on) => { selected = on ? new Set([k]) : new Set(); render(); },
			}));
			const sel = rows.filter((r) => selected.has(opts.key(r)));
			for (const b of root.querySelectorAll('[data-needs]'))
				b.disabled = sel.length !== 1;
			if (opts.detail && sel.length === 1)
				box.append(opts.detail(sel[0], refresh));
		}
		return {
			show(page) {
				root = page;
				box = el('div', { id: opts.id });
				UI.put(page, head(opts.title, el('button', { type: 'button', 'aria-label': 'Refresh', onclick: refresh }, '⟳'),
					(opts.buttons || []).map(([label, id, fn, needs]) => el('button', {
						type: 'button', id, 'data-needs': needs ? 'one' : null, class: needs ? null : 'primary',
						onclick: () => fn(rows.find((r) => selected.has(opts.key(r))), refresh),
					}, label))), opts.intro ? el('p', { class: 'muted' }, opts.intro) : null, box);
				refresh();
			},
		};
	}

	function confirmDelete(title, text, label, fn, refresh) {
		UI.modal(title, [el('p', {}, text)], [{ label, kind: 'danger', action: async () => { await fn(); await refresh(); } }]);
	}

	/* AMIs: yours and the Quick Start ones. */
	const amis = listPage({
		id: 'amis', title: 'Amazon Machine Images (AMIs)', key: (r) => r.id, empty: 'No AMIs',
		intro: 'Your AMIs (owner self) and the Quick Start AMIs (owner amazon). Building a Quick Start AMI from a recipe is done on the host: ec2-lite build-ami debian-12 (or tiny).',
		load: async () => {
			const [a, b] = await Promise.all([Api.call('DescribeImages', { 'Owner.1': 'self' }), Api.call('DescribeImages', { 'Owner.1': 'amazon' })]);
			return X.items(a, 'imagesSet').concat(X.items(b, 'imagesSet')).map((i) => ({
				id: X.text(i, 'imageId'), name: X.text(i, 'name'), state: X.text(i, 'imageState'), owner: X.text(i, 'imageOwnerAlias') || X.text(i, 'imageOwnerId'),
				description: X.text(i, 'description'), created: X.text(i, 'creationDate'), source: X.text(i, 'imageLocation'),
			}));
		},
		columns: [
			{ label: 'Name', value: (r) => r.name }, { label: 'AMI ID', value: (r) => r.id }, { label: 'Source', value: (r) => r.source },
			{ label: 'Owner', value: (r) => r.owner }, { label: 'Status', value: (r) => el('span', { class: 'state state-' + r.state }, r.state) },
			{ label: 'Creation date', value: (r) => r.created }, { label: 'Description', value: (r) => r.description, cls: 'wrap' },
		],
		buttons: [['Deregister AMI', 'deregister-ami', (r, refresh) => confirmDelete('Deregister AMI?', `Are you sure you want to deregister ${r.id} (${r.name})?`, 'Deregister AMI',
			() => Api.call('DeregisterImage', { ImageId: r.id }), refresh), true]],
	});

	function ruleRows(g) {
		const rows = [];
		for (const p of X.items(g, 'ipPermissions')) {
			const base = { proto: X.text(p, 'ipProtocol'), from: X.text(p, 'fromPort'), to: X.text(p, 'toPort') };
			for (const r of X.items(p, 'ipRanges'))
				rows.push(Object.assign({ cidr: X.text(r, 'cidrIp'), desc: X.text(r, 'description') }, base));
			for (const r of X.items(p, 'groups'))
				rows.push(Object.assign({ group: X.text(r, 'groupId'), desc: X.text(r, 'description') }, base));
		}
		return rows;
	}

	function ruleType(r) {
		if (r.proto === '-1')
			return 'All traffic';
		const known = { 22: 'SSH', 80: 'HTTP', 443: 'HTTPS', 3389: 'RDP' };
		return r.proto === 'tcp' && r.from === r.to && known[r.from] ? known[r.from] : `Custom ${r.proto.toUpperCase()}`;
	}

	function permission(r) {
		const p = { 'IpPermissions.1.IpProtocol': r.proto };
		if (r.proto !== '-1') {
			p['IpPermissions.1.FromPort'] = r.from;
			p['IpPermissions.1.ToPort'] = r.to;
		}
		if (r.group)
			p['IpPermissions.1.Groups.1.GroupId'] = r.group;
		else
			p['IpPermissions.1.IpRanges.1.CidrIp'] = r.cidr;
		return p;
	}

	function addRule(g, refresh) {
		const type = el('select', { id: 'rule-type' }, [['22', 'SSH'], ['80', 'HTTP'], ['443', 'HTTPS'], ['', 'Custom TCP']].map(([v, l]) => el('option', { value: v }, l)));
		const port = el('input', { id: 'rule-port', value: '22' });
		const source = el('input', { id: 'rule-source', value: '0.0.0.0/0' });
		type.addEventListener('change', () => { if (type.value) port.value = type.value; });
		UI.modal(`Add inbound rule to ${g.id}`, [UI.field('Type', type), UI.field('Port range', port, 'A port or a range: 8000-8080'), UI.field('Source (CIDR)', source)],
			[{ label: 'Save rules', action: async () => {
				const [from, to] = port.value.split('-');
				await Api.call('AuthorizeSecurityGroupIngress', Object.assign({ GroupId: g.id }, permission({ proto: 'tcp', from: from.trim(), to: (to || from).trim(), cidr: source.value.trim() })));
				UI.flash('success', `Inbound security group rules successfully modified on security group (${g.id} | ${g.name})`);
				await refresh();
			} }]);
	}

	const securityGroups = listPage({
		id: 'security-groups', title: 'Security Groups', key: (r) => r.id, empty: 'No security groups',
		load: async () => X.items(await Api.call('DescribeSecurityGroups', {}), 'securityGroupInfo').map((g) => ({
			id: X.text(g, 'groupId'), name: X.text(g, 'groupName'), vpc: X.text(g, 'vpcId'), description: X.text(g, 'groupDescription'),
			rules: ruleRows(g),
		})),
		columns: [{ label: 'Security group ID', value: (r) => r.id }, { label: 'Security group name', value: (r) => r.name }, { label: 'VPC ID', value: (r) => r.vpc },
			{ label: 'Description', value: (r) => r.description, cls: 'wrap' }, { label: 'Inbound rules', value: (r) => String(r.rules.length) }],
		buttons: [
			['Create security group', 'create-security-group', (r, refresh) => {
				const name = el('input', { id: 'sg-name' }), desc = el('input', { id: 'sg-description' });
				UI.modal('Create security group', [UI.field('Security group name', name), UI.field('Description', desc)], [{ label: 'Create security group', action: async () => {
					const doc = await Api.call('CreateSecurityGroup', { GroupName: name.value, GroupDescription: desc.value });
					UI.flash('success', `Security group (${X.text(doc, 'groupId')} | ${name.value}) was created successfully`);
					await refresh();
				} }]);
			}],
			['Delete security group', 'delete-security-group', (r, refresh) => confirmDelete('Delete security groups', `Are you sure you want to delete ${r.id} (${r.name})?`, 'Delete',
				() => Api.call('DeleteSecurityGroup', { GroupId: r.id }), refresh), true],
		],
		detail: (g, refresh) => el('section', { class: 'detail', 'aria-label': 'Inbound rules' },
			el('div', { class: 'page-head' }, el('h2', {}, `Inbound rules (${g.rules.length}) of ${g.id}`),
				el('button', { type: 'button', id: 'add-rule', onclick: () => addRule(g, refresh) }, 'Add rule')),
			UI.table([
				{ label: 'Type', value: ruleType }, { label: 'Protocol', value: (r) => r.proto === '-1' ? 'All' : r.proto.toUpperCase() },
				{ label: 'Port range', value: (r) => r.proto === '-1' ? 'All' : r.from === r.to ? r.from : `${r.from} - ${r.to}` },
				{ label: 'Source', value: (r) => r.cidr || r.group }, { label: 'Description', value: (r) => r.desc },
				{ label: '', value: (r) => el('button', { type: 'button', class: 'link', 'aria-label': `Delete rule ${ruleType(r)} from ${r.cidr || r.group}`, onclick: async () => {
					try {
						await Api.call('RevokeSecurityGroupIngress', Object.assign({ GroupId: g.id }, permission(r)));
						UI.flash('success', `Inbound security group rules successfully modified on security group (${g.id} | ${g.name})`);
						await refresh();
					} catch (e) {
						UI.flash('error', UI.errorText(e));
					}
				} }, 'Delete') },
			], g.rules, { empty: 'No inbound rules' })),
	});

	/* Create key pair (here and in the launch wizard): CreateKeyPair, its private key offered as
	 * NAME.pem (EC2 keeps none), then done(name). */
	function createKey(done) {
		const name = el('input', { id: 'new-key-name' });
		const type = el('select', { id: 'new-key-type' }, el('option', { value: 'rsa' }, 'RSA'), el('option', { value: 'ed25519' }, 'ED25519'));
		UI.modal('Create key pair', [UI.field('Key pair name', name, 'The name can include up to 255 ASCII characters.'), UI.field('Key pair type', type),
			el('p', { class: 'help' }, 'Private key file format: .pem (for use with OpenSSH). It is downloaded once: EC2 does not keep it.')],
		[{ label: 'Create key pair', action: async () => {
			const doc = await Api.call('CreateKeyPair', { KeyName: name.value, KeyType: type.value, KeyFormat: 'pem' });
			UI.download(name.value + '.pem', X.text(doc, 'keyMaterial'));
			UI.flash('success', `Successfully created key pair ${name.value}; its private key was downloaded as ${name.value}.pem.`);
			await done(name.value);
		} }]);
	}

	function importKey(refresh) {
		const name = el('input', { id: 'import-key-name' });
		const material = el('textarea', { id: 'import-key-material', rows: '5', spellcheck: 'false' });
		const file = el('input', { type: 'file', id: 'import-key-file', 'aria-label': 'Browse for a public key file', onchange: async () => { if (file.files[0]) material.value = await file.files[0].text(); } });
		UI.modal('Import key pair', [UI.field('Name', name), UI.field('Public key contents', material, 'An OpenSSH public key (ssh-rsa or ssh-ed25519 ...).'), file],
			[{ label: 'Import key pair', action: async () => {
				await Api.call('ImportKeyPair', { KeyName: name.value, PublicKeyMaterial: btoa(material.value.trim()) });
				UI.flash('success', `Successfully imported key pair ${name.value}`);
				await refresh();
			} }]);
	}

	const keyPairs = listPage({
		id: 'key-pairs', title: 'Key pairs', key: (r) => r.name, empty: 'No key pairs',
		load: async () => X.items(await Api.call('DescribeKeyPairs', {}), 'keySet').map((k) => ({
			name: X.text(k, 'keyName'), type: X.text(k, 'keyType'), id: X.text(k, 'keyPairId'), fingerprint: X.text(k, 'keyFingerprint'), created: X.text(k, 'createTime'),
		})),
		columns: [{ label: 'Name', value: (r) => r.name }, { label: 'Type', value: (r) => r.type }, { label: 'Created', value: (r) => r.created },
			{ label: 'Fingerprint', value: (r) => r.fingerprint, cls: 'wrap mono' }, { label: 'ID', value: (r) => r.id }],
		buttons: [
			['Create key pair', 'create-key', (r, refresh) => createKey(refresh)],
			['Import key pair', 'import-key', (r, refresh) => importKey(refresh)],
			['Delete', 'delete-key', (r, refresh) => confirmDelete('Delete key pair?', `Are you sure you want to delete ${r.name}? Instances launched with it keep its public key.`, 'Delete',
				() => Api.call('DeleteKeyPair', { KeyName: r.name }), refresh), true],
		],
	});

	const addresses = listPage({
		id: 'addresses', title: 'Elastic IP addresses', key: (r) => r.allocation, empty: 'No Elastic IP addresses',
		load: async () => X.items(await Api.call('DescribeAddresses', {}), 'addressesSet').map((a) => ({
			ip: X.text(a, 'publicIp'), allocation: X.text(a, 'allocationId'), instance: X.text(a, 'instanceId'), association: X.text(a, 'associationId'), privateIp: X.text(a, 'privateIpAddress'),
		})),
		columns: [{ label: 'Allocated IPv4 address', value: (r) => r.ip }, { label: 'Allocation ID', value: (r) => r.allocation },
			{ label: 'Associated instance ID', value: (r) => r.instance || '–' }, { label: 'Private IP address', value: (r) => r.privateIp || '–' }],
		buttons: [
			['Allocate Elastic IP address', 'allocate-address', async (r, refresh) => {
				try {
					const doc = await Api.call('AllocateAddress', { Domain: 'vpc' });
					UI.flash('success', `Elastic IP address allocated successfully: ${X.text(doc, 'publicIp')}`);
				} catch (e) {
					UI.flash('error', UI.errorText(e));
				}
				await refresh();
			}],
			['Associate Elastic IP address', 'associate-address', (r, refresh) => {
				const inst = el('input', { id: 'associate-instance', placeholder: 'i-...' });
				UI.modal('Associate Elastic IP address', [UI.field('Instance', inst)], [{ label: 'Associate', action: async () => {
					await Api.call('AssociateAddress', { AllocationId: r.allocation, InstanceId: inst.value.trim() });
					await refresh();
				} }]);
			}, true],
			['Disassociate', 'disassociate-address', (r, refresh) => confirmDelete('Disassociate Elastic IP address?', `Disassociate ${r.ip} from ${r.instance || 'its instance'}?`, 'Disassociate',
				() => Api.call('DisassociateAddress', { AssociationId: r.association }), refresh), true],
			['Release Elastic IP address', 'release-address', (r, refresh) => confirmDelete('Release Elastic IP addresses', `Are you sure you want to release ${r.ip}?`, 'Release',
				() => Api.call('ReleaseAddress', { AllocationId: r.allocation }), refresh), true],
		],
	});

	const zones = listPage({
		id: 'zones', title: 'Availability Zones', key: (r) => r.name, empty: 'No zones',
		load: async () => X.items(await Api.call('DescribeAvailabilityZones', {}), 'availabilityZoneInfo').map((z) => ({
			name: X.text(z, 'zoneName'), id: X.text(z, 'zoneId'), state: X.text(z, 'zoneState'), region: X.text(z, 'regionName'),
		})),
		columns: [{ label: 'Zone name', value: (r) => r.name }, { label: 'Zone ID', value: (r) => r.id }, { label: 'Region', value: (r) => r.region }, { label: 'State', value: (r) => r.state }],
	});

	return { amis, securityGroups, keyPairs, addresses, zones, createKey, listPage };
})();

Pages.amis = Resources.amis;
Pages['security-groups'] = Resources.securityGroups;
Pages['key-pairs'] = Resources.keyPairs;
Pages.addresses = Resources.addresses;
Pages.zones = Resources.zones;
