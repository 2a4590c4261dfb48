/* Launch an instance: the EC2 console's launch wizard on one page, in its eight sections (name
 * and tags, AMI, instance type, key pair, network settings, storage, advanced details, summary).
 * "Launch instance" creates the new security group and its rules, then launches; when the launch
 * fails the group is deleted again, so that a bad field leaves nothing behind. EC2's errors are
 * shown next to the field they concern. */
'use strict';

const Launch = (() => {
	const el = UI.el;
	const setError = UI.setError, clearErrors = UI.clearErrors;
	let f = {}, amis = { amazon: [], self: [] }, types = [], groups = [], subnets = [];

	function section(n, title, ...body) {
		return el('section', { class: 'panel', 'aria-labelledby': 'sec-' + n }, el('h2', { id: 'sec-' + n }, title), body);
	}

	/* Which field an EC2 error of RunInstances concerns. */
	function fieldOf(e) {
		const m = e.code + ' ' + e.message;
		if (/MinCount|MaxCount|\bcount\b|InstanceLimitExceeded|InsufficientInstanceCapacity/i.test(m))
			return 'count';
		if (/InvalidAMIID|ImageId|\bAMI\b|image/i.test(m) && !/instance type/i.test(m))
			return 'ami';
		if (/InstanceType|instance type|Unsupported/i.test(m))
			return 'type';
		if (/KeyPair|KeyName|key pair/i.test(m))
			return 'key';
		if (/Subnet|Vpc|AvailabilityZone/i.test(m))
			return 'network';
		if (/SecurityGroup|InvalidGroup|InvalidPermission|group/i.test(m))
			return 'firewall';
		if (/UserData|user data/i.test(m))
			return 'userdata';
		if (/IamInstanceProfile|instance profile/i.test(m))
			return 'iam';
		if (/VolumeSize|BlockDevice|volume|EBS/i.test(m))
			return 'storage';
		if (/Hibernat/i.test(m))
			return 'hibernation';
		if (/Shutdown/i.test(m))
			return 'shutdown';
		return 'summary';
	}

	function b64(bytes) {
		let s = '';
		for (let i = 0; i < bytes.length; i += 0x8000)
			s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
		return btoa(s);
	}

	function selectedAmi() {
		const r = document.querySelector('input[name="ami"]:checked');
		const all = amis.amazon.concat(amis.self);
		return r ? all.find((a) => a.id === r.value) : null;
	}

	function amiList(owner) {
		const box = UI.clear(f.amiBox);
		const list = amis[owner];
		if (!list.length) {
			box.append(el('p', { class: 'muted' }, owner === 'amazon'
				? 'No Quick Start AMI is built on this host yet. An administrator builds one with: ec2-lite build-ami debian-12'
				: 'You have no AMIs yet: create one from an instance (Actions, Create image) or register one.'));
			return;
		}
		box.append(el('div', { class: 'ami-list', role: 'radiogroup', 'aria-label': 'Amazon Machine Image' }, list.map((a, i) => {
			const id = 'ami-' + a.id;
			return el('div', { class: 'ami-card' },
				el('input', { type: 'radio', name: 'ami', id, value: a.id, checked: i === 0, disabled: a.state !== 'available', onchange: amiChanged }),
				el('label', { for: id }, el('strong', {}, a.name), ' ', el('span', { class: 'muted' }, a.id), el('br'),
					el('span', { class: 'ami-desc' }, a.description || ''), el('br'),
					el('span', { class: 'muted' }, `${a.arch} · root device ${a.rootDevice} · ${a.size} GiB${a.state !== 'available' ? ' · ' + a.state : ''}`)));
		})));
		amiChanged();
	}

	function amiChanged() {
		const a = selectedAmi();
		if (a && a.size)
			f.rootSize.value = a.size;
		summary();
	}

	function typeInfo() {
		const t = types.find((x) => x.name === f.type.value);
		f.typeInfo.textContent = t ? `Family: ${t.family} · ${t.vcpus} vCPU · ${t.memory} GiB Memory${t.hibernation ? ' · hibernation supported' : ''}` : '';
		summary();
	}

	function summary() {
		const a = selectedAmi();
		const fw = f.fwNew && f.fwNew.checked
			? 'New security group' + (f.sshOn.checked || f.httpsOn.checked || f.httpOn.checked
				? ' (' + [f.sshOn.checked && 'SSH', f.httpsOn.checked && 'HTTPS', f.httpOn.checked && 'HTTP'].filter(Boolean).join(', ') + ')' : '')
			: Array.from(document.querySelectorAll('input[name="existing-group"]:checked')).map((c) => c.value).join(', ') || 'No security group';
		UI.clear(f.summary).append(el('dl', { class: 'kv' },
			el('dt', {}, 'Software Image (AMI)'), el('dd', {}, a ? `${a.name} (${a.id})` : '–'),
			el('dt', {}, 'Virtual server type (instance type)'), el('dd', {}, f.type.value || '–'),
			el('dt', {}, 'Firewall (security group)'), el('dd', {}, fw),
			el('dt', {}, 'Storage (volumes)'), el('dd', {}, `1 volume(s) - ${f.rootSize.value} GiB`)));
	}

	function tagRow() {
		const k = el('input', { class: 'tag-key', 'aria-label': 'Tag key' });
		const v = el('input', { class: 'tag-value', 'aria-label': 'Tag value' });
		const row = el('div', { class: 'tag-row' }, k, v, el('button', { type: 'button', class: 'link', onclick: () => row.remove() }, 'Remove'));
		f.tags.append(row);
		k.focus();
	}

	async function loadKeys(choose) {
		const doc = await Api.call('DescribeKeyPairs', {});
		const names = X.items(doc, 'keySet').map((k) => X.text(k, 'keyName'));
		UI.put(UI.clear(f.key), el('option', { value: '' }, 'Select'), el('option', { value: '-' }, 'Proceed without a key pair (Not recommended)'),
			names.map((n) => el('option', { value: n, selected: n === choose }, n)));
	}

	function firewall() {
		const onNew = f.fwNew.checked;
		f.newBox.hidden = !onNew;
		f.existingBox.hidden = onNew;
		summary();
	}

	async function launch() {
		clearErrors();
		const a = selectedAmi();
		if (!a)
			return setError('ami', 'Select an AMI.');
		if (!f.key.value)
			return setError('key', 'Select a key pair, or choose "Proceed without a key pair".');
		const p = { ImageId: a.id, InstanceType: f.type.value, MinCount: f.count.value, MaxCount: f.count.value };
		if (f.key.value !== '-')
			p.KeyName = f.key.value;
		if (f.subnet.value)
			p.SubnetId = f.subnet.value;
		if (f.rootSize.value) {
			p['BlockDeviceMapping.1.DeviceName'] = a.rootDevice || '/dev/xvda';
			p['BlockDeviceMapping.1.Ebs.VolumeSize'] = f.rootSize.value;
			p['BlockDeviceMapping.1.Ebs.VolumeType'] = 'gp3';
			p['BlockDeviceMapping.1.Ebs.DeleteOnTermination'] = 'true';
		}
		if (f.shutdown.value)
			p.InstanceInitiatedShutdownBehavior = f.shutdown.value;
		if (f.hibernation.value === 'true')
			p['HibernationOptions.Configured'] = 'true';
		if (f.iam.value)
			p['IamInstanceProfile.Name'] = f.iam.value;
		if (f.userData.value)
			p.UserData = f.userDataB64.checked ? f.userData.value.trim() : b64(new TextEncoder().encode(f.userData.value));
		const tags = [];
		if (f.name.value)
			tags.push(['Name', f.name.value]);
		for (const row of f.tags.querySelectorAll('.tag-row'))
			if (row.querySelector('.tag-key').value)
				tags.push([row.querySelector('.tag-key').value, row.querySelector('.tag-value').value]);
		if (tags.length) {
			p['TagSpecification.1.ResourceType'] = 'instance';
			tags.forEach(([k, v], i) => {
				p[`TagSpecification.1.Tag.${i + 1}.Key`] = k;
				p[`TagSpecification.1.Tag.${i + 1}.Value`] = v;
			});
		}
		const existing = Array.from(document.querySelectorAll('input[name="existing-group"]:checked')).map((c) => c.value);
		if (!f.fwNew.checked)
			existing.forEach((g, i) => { p['SecurityGroupId.' + (i + 1)] = g; });
		f.launch.disabled = true;
		f.status.textContent = 'Launching…';
		let sg = null;
		try {
			if (f.fwNew.checked) {
				sg = await createGroup(p.SubnetId);
				p['SecurityGroupId.1'] = sg;
			}
			const doc = await Api.call('RunInstances', p);
			const ids = X.items(doc, 'instancesSet').map((i) => X.text(i, 'instanceId'));
			success(ids, sg);
		} catch (e) {
			f.status.textContent = '';
			setError(fieldOf(e), UI.errorText(e));
			/* The launch failed: the group made for it goes too, so that nothing is left. */
			if (sg)
				await Api.call('DeleteSecurityGroup', { GroupId: sg }).then(() => {
					groups = groups.filter((g) => g.id !== sg);
				}, () => {});
		}
		f.launch.disabled = false;
	}

	async function createGroup() {
		const n = groups.filter((g) => /^launch-wizard-\d+$/.test(g.name)).map((g) => parseInt(g.name.slice(14), 10));
		const name = 'launch-wizard-' + (n.length ? Math.max(...n) + 1 : 1);
		const cp = { GroupName: name, GroupDescription: `${name} created ${new Date().toISOString()}` };
		const sub = subnets.find((s) => s.id === f.subnet.value);
		if (sub)
			cp.VpcId = sub.vpc;
		const doc = await Api.call('CreateSecurityGroup', cp);
		const id = X.text(doc, 'groupId');
		groups.push({ id, name });
		const rules = [];
		const src = f.sshSource.value || '0.0.0.0/0';
		if (f.sshOn.checked)
			rules.push([22, src]);
		if (f.httpsOn.checked)
			rules.push([443, '0.0.0.0/0']);
		if (f.httpOn.checked)
			rules.push([80, '0.0.0.0/0']);
		if (rules.length) {
			const ap = { GroupId: id };
			rules.forEach(([port, cidr], i) => {
				ap[`IpPermissions.${i + 1}.IpProtocol`] = 'tcp';
				ap[`IpPermissions.${i + 1}.FromPort`] = port;
				ap[`IpPermissions.${i + 1}.ToPort`] = port;
				ap[`IpPermissions.${i + 1}.IpRanges.1.CidrIp`] = cidr;
			});
			await Api.call('AuthorizeSecurityGroupIngress', ap);
		}
		return id;
	}

	function success(ids, sg) {
		f.status.textContent = '';
		const box = document.getElementById('launch-success');
		UI.clear(box).append(el('div', { class: 'flash success', role: 'status' },
			el('strong', {}, 'Success'), ' Successfully initiated launch of instance ',
			ids.map((id, i) => [i ? ', ' : '', el('a', { href: '#/instances/' + id, class: 'launched-id' }, id)]),
			sg ? ` (security group ${sg})` : ''),
			el('a', { href: '#/instances', class: 'button primary', id: 'view-instances' }, 'View all instances'));
		box.hidden = false;
		box.querySelector('#view-instances').focus();
	}

	async function load() {
		const [qs, mine, it, sn, sg, ip] = await Promise.allSettled([
			Api.call('DescribeImages', { 'Owner.1': 'amazon' }),
			Api.call('DescribeImages', { 'Owner.1': 'self' }),
			Api.call('DescribeInstanceTypes', {}),
			Api.call('DescribeSubnets', {}),
			Api.call('DescribeSecurityGroups', {}),
			Api.call('ListInstanceProfiles', {}, 'iam'),
		]);
		const img = (doc) => X.items(doc, 'imagesSet').map((i) => ({
			id: X.text(i, 'imageId'), name: X.text(i, 'name'), description: X.text(i, 'description'), state: X.text(i, 'imageState'),
			arch: X.text(i, 'architecture'), rootDevice: X.text(i, 'rootDeviceName'),
			size: X.text(X.items(i, 'blockDeviceMapping')[0], 'volumeSize'),
		})).sort((x, y) => x.name.localeCompare(y.name));
		amis.amazon = qs.status === 'fulfilled' ? img(qs.value) : [];
		amis.self = mine.status === 'fulfilled' ? img(mine.value) : [];
		if (it.status === 'fulfilled')
			types = X.items(it.value, 'instanceTypeSet').map((t) => ({
				name: X.text(t, 'instanceType'), family: X.text(t, 'instanceType').split('.')[0],
				vcpus: X.text(t, 'vCpuInfo/defaultVCpus'), memory: (parseInt(X.text(t, 'memoryInfo/sizeInMiB'), 10) / 1024).toString(),
				hibernation: X.text(t, 'hibernationSupported') === 'true',
			})).sort((x, y) => x.name.localeCompare(y.name, undefined, { numeric: true }));
		if (sn.status === 'fulfilled')
			subnets = X.items(sn.value, 'subnetSet').map((s) => ({ id: X.text(s, 'subnetId'), zone: X.text(s, 'availabilityZone'), vpc: X.text(s, 'vpcId'),
				cidr: X.text(s, 'cidrBlock'), def: X.text(s, 'defaultForAz') === 'true', mapPublic: X.text(s, 'mapPublicIpOnLaunch') === 'true' }));
		if (sg.status === 'fulfilled')
			groups = X.items(sg.value, 'securityGroupInfo').map((g) => ({ id: X.text(g, 'groupId'), name: X.text(g, 'groupName'), vpc: X.text(g, 'vpcId') }));
		/* IAM answers members: one InstanceProfileName per profile (roles have none). */
		return ip.status === 'fulfilled' ? Array.from(ip.value.getElementsByTagName('InstanceProfileName'), (n) => n.textContent) : [];
	}

	async function show(page) {
		f = {};
		page.append(el('div', { class: 'page-head' }, el('h1', {}, 'Launch an instance')),
			el('p', { class: 'muted' }, 'Amazon EC2 allows you to create virtual machines, or instances, that run on the AWS Cloud. Quickly get started by following the simple steps below.'),
			el('p', { class: 'muted', id: 'launch-loading' }, 'Loading…'));
		let profiles = [];
		try {
			profiles = await load();
		} catch (e) {
			UI.flash('error', UI.errorText(e));
		}
		if (!page.isConnected)
			return;
		page.querySelector('#launch-loading').remove();

		f.name = el('input', { id: 'launch-name', placeholder: 'e.g. My Web Server' });
		f.tags = el('div', { class: 'tags' });
		f.amiBox = el('div', { id: 'ami-box' });
		const qsTab = el('input', { type: 'radio', name: 'ami-source', id: 'ami-quick-start', checked: true, onchange: () => amiList('amazon') });
		const myTab = el('input', { type: 'radio', name: 'ami-source', id: 'ami-mine', onchange: () => amiList('self') });
		f.type = el('select', { id: 'instance-type', onchange: typeInfo }, types.map((t) => el('option', { value: t.name, selected: t.name === 't2.micro' }, t.name)));
		f.typeInfo = el('p', { class: 'help', id: 'type-info' });
		f.key = el('select', { id: 'key-pair' });
		f.subnet = el('select', { id: 'subnet', onchange: () => { const s = subnets.find((x) => x.id === f.subnet.value); f.publicIp.value = !s || s.mapPublic ? 'Enable' : 'Disable'; } },
			el('option', { value: '' }, 'No preference (Default subnet in any availability zone)'),
			subnets.map((s) => el('option', { value: s.id }, `${s.id} | ${s.zone} | ${s.cidr}${s.def ? ' | default' : ''}`)));
		f.publicIp = el('input', { id: 'auto-public-ip', readonly: true, value: 'Enable' });
		f.fwNew = el('input', { type: 'radio', name: 'firewall', id: 'fw-create', checked: true, onchange: firewall });
		const fwOld = el('input', { type: 'radio', name: 'firewall', id: 'fw-existing', onchange: firewall });
		f.sshOn = el('input', { type: 'checkbox', id: 'allow-ssh', checked: true, onchange: summary });
		f.sshSource = el('select', { id: 'ssh-source', 'aria-label': 'SSH traffic source' }, el('option', { value: '0.0.0.0/0' }, 'Anywhere 0.0.0.0/0'), el('option', { value: '127.0.0.1/32' }, 'My IP (this host) 127.0.0.1/32'));
		f.httpsOn = el('input', { type: 'checkbox', id: 'allow-https', onchange: summary });
		f.httpOn = el('input', { type: 'checkbox', id: 'allow-http', onchange: summary });
		f.newBox = el('div', { class: 'indent' },
			el('p', {}, "We'll create a new security group called 'launch-wizard-N' with the following rules:"),
			el('div', { class: 'check-field' }, f.sshOn, el('label', { for: 'allow-ssh' }, 'Allow SSH traffic from'), f.sshSource),
			el('p', { class: 'help' }, 'Helps you connect to your instance'),
			el('div', { class: 'check-field' }, f.httpsOn, el('label', { for: 'allow-https' }, 'Allow HTTPS traffic from the internet')),
			el('p', { class: 'help' }, 'To set up an endpoint, for example when creating a web server'),
			el('div', { class: 'check-field' }, f.httpOn, el('label', { for: 'allow-http' }, 'Allow HTTP traffic from the internet')),
			el('p', { class: 'help' }, 'To set up an endpoint, for example when creating a web server'));
		f.existingBox = el('fieldset', { class: 'indent', hidden: true }, el('legend', {}, 'Common security groups'),
			groups.map((g) => el('div', { class: 'check-field' }, el('input', { type: 'checkbox', name: 'existing-group', id: 'sg-' + g.id, value: g.id, onchange: summary }),
				el('label', { for: 'sg-' + g.id }, `${g.name} ${g.id}`))));
		f.rootSize = el('input', { type: 'number', id: 'root-size', min: '1', value: '8', onchange: summary });
		f.shutdown = el('select', { id: 'shutdown-behavior' }, el('option', { value: '' }, "Don't include in launch template"), el('option', { value: 'stop' }, 'Stop'), el('option', { value: 'terminate' }, 'Terminate'));
		f.hibernation = el('select', { id: 'hibernation' }, el('option', { value: '' }, "Don't include in launch template"), el('option', { value: 'true' }, 'Enable'), el('option', { value: 'false' }, 'Disable'));
		f.iam = el('select', { id: 'iam-profile' }, el('option', { value: '' }, 'Select'), profiles.map((n) => el('option', { value: n }, n)));
		f.userData = el('textarea', { id: 'user-data', rows: '8', spellcheck: 'false' });
		f.userDataFile = el('input', { type: 'file', id: 'user-data-file', 'aria-label': 'Choose a user data file',
			onchange: async () => { const file = f.userDataFile.files[0]; if (file) f.userData.value = await file.text(); } });
		f.userDataB64 = el('input', { type: 'checkbox', id: 'user-data-b64' });
		f.count = el('input', { type: 'number', id: 'instance-count', value: '1', min: '1' });
		f.summary = el('div', { id: 'summary' });
		f.launch = el('button', { type: 'button', class: 'primary', id: 'launch', onclick: launch }, 'Launch instance');
		f.status = el('p', { class: 'muted', role: 'status' });

		const form = el('div', { class: 'wizard' },
			el('div', { class: 'wizard-main' },
				section(1, 'Name and tags', UI.field('Name', f.name, null, 'name'), f.tags,
					el('button', { type: 'button', class: 'secondary', id: 'add-tag', onclick: tagRow }, 'Add additional tags')),
				section(2, 'Application and OS Images (Amazon Machine Image)',
					el('p', { class: 'help' }, 'An AMI is a template that contains the software configuration (operating system, application server, and applications) required to launch your instance.'),
					el('div', { class: 'segmented', role: 'radiogroup', 'aria-label': 'AMI source' }, qsTab, el('label', { for: 'ami-quick-start' }, 'Quick Start'), myTab, el('label', { for: 'ami-mine' }, 'My AMIs')),
					f.amiBox, el('p', { class: 'field-error', role: 'alert', 'data-error-for': 'ami' })),
				section(3, 'Instance type', UI.field('Instance type', f.type, null, 'type'), f.typeInfo),
				section(4, 'Key pair (login)', el('p', { class: 'help' }, 'You can use a key pair to securely connect to your instance.'),
					UI.field('Key pair name - required', f.key, null, 'key'),
					el('button', { type: 'button', class: 'link', id: 'create-key-pair', onclick: () => Resources.createKey(loadKeys) }, 'Create new key pair')),
				section(5, 'Network settings', UI.field('Subnet', f.subnet, null, 'network'), UI.field('Auto-assign public IP', f.publicIp, "The subnet's setting (MapPublicIpOnLaunch)."),
					el('fieldset', { class: 'field', 'data-field': 'firewall' }, el('legend', {}, 'Firewall (security groups)'),
						el('div', { class: 'check-field' }, f.fwNew, el('label', { for: 'fw-create' }, 'Create security group')),
						el('div', { class: 'check-field' }, fwOld, el('label', { for: 'fw-existing' }, 'Select existing security group')),
						f.newBox, f.existingBox, el('p', { class: 'field-error', role: 'alert', 'data-error-for': 'firewall' }))),
				section(6, 'Configure storage', UI.field('Root volume size (GiB), gp3', f.rootSize, null, 'storage')),
				section(7, 'Advanced details', el('details', { id: 'advanced' }, el('summary', {}, 'Advanced details'),
					UI.field('IAM instance profile', f.iam, null, 'iam'),
					UI.field('Shutdown behavior', f.shutdown, null, 'shutdown'),
					UI.field('Stop - Hibernate behavior', f.hibernation, null, 'hibernation'),
					UI.field('User data - optional', f.userData, 'Enter user data in the field, or choose a file.', 'userdata'),
					el('div', { class: 'check-field' }, f.userDataFile),
					el('div', { class: 'check-field' }, f.userDataB64, el('label', { for: 'user-data-b64' }, 'User data has already been base64 encoded'))))),
			el('aside', { class: 'wizard-side panel', 'aria-labelledby': 'sec-8' }, el('h2', { id: 'sec-8' }, 'Summary'),
				UI.field('Number of instances', f.count, null, 'count'), f.summary,
				el('p', { class: 'field-error', role: 'alert', 'data-error-for': 'summary' }),
				el('div', { class: 'modal-buttons' }, el('a', { href: '#/instances', class: 'button' }, 'Cancel'), f.launch), f.status,
				el('div', { id: 'launch-success', hidden: true })));
		page.append(form);
		await loadKeys().catch((e) => setError('key', UI.errorText(e)));
		amiList('amazon');
		if (!amis.amazon.length && amis.self.length) {
			myTab.checked = true;
			amiList('self');
		}
		typeInfo();
		firewall();
		f.name.focus();
	}

	return { show };
})();

Pages.launch = Launch;
