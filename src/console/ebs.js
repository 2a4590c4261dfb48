/* Elastic Block Store: Volumes (create, attach to an instance of its zone, detach, delete, create
 * snapshot) and Snapshots (delete, create volume from one), list pages as resources.js makes
 * them; EC2's errors beside the field they concern. */
'use strict';

const Ebs = (() => {
	const el = UI.el;
	/* An element's own child's text: a volume's status, not its attachment's. */
	const own = (node, name) => (X.child(node, name) || {}).textContent || '';
	const cap = (s) => s ? s[0].toUpperCase() + s.slice(1) : '';
	const badge = (state) => el('span', { class: 'state state-' + state, 'data-state': state }, cap(state));
	const DEVICES = 'fghijklmnop'.split('').map((c) => '/dev/sd' + c);

	function volume(v) {
		const a = X.items(v, 'attachmentSet')[0];
		return {
			id: own(v, 'volumeId'), name: X.tags(v).Name || '', type: own(v, 'volumeType'), size: own(v, 'size'), state: own(v, 'status'),
			zone: own(v, 'availabilityZone'), snapshot: own(v, 'snapshotId'), created: own(v, 'createTime'), iops: own(v, 'iops'),
			instance: a ? own(a, 'instanceId') : '', device: a ? own(a, 'device') : '', attachState: a ? own(a, 'status') : '',
		};
	}

	async function describeVolumes(params) {
		return X.items(await Api.call('DescribeVolumes', params || {}), 'volumeSet').map(volume);
	}

	/* Which field of the dialogs an EC2 error concerns (the dialog's own slot otherwise). */
	function fieldOf(e) {
		const m = e.code + ' ' + e.message;
		if (e.code === 'InternalError')
			return 'modal';
		if (/iops|throughput/i.test(m))
			return 'type';
		if (/Volume of \d+GiB|\bsize\b/i.test(m))
			return 'size';
		if (/Snapshot/i.test(m))
			return 'snapshot';
		if (/availability zone|ZoneMismatch/i.test(m))
			return 'zone';
		if (/volumeType/i.test(m))
			return 'type';
		if (/device/i.test(m))
			return 'device';
		if (/Instance/i.test(m))
			return 'instance';
		return 'modal';
	}

	/* A dialog's action: EC2's error goes beside its field, and the dialog stays open. */
	function guarded(fn) {
		return async () => {
			UI.clearErrors();
			try {
				return await fn();
			} catch (e) {
				UI.setError(fieldOf(e), UI.errorText(e), 'modal');
				return false;
			}
		};
	}

	async function createVolume(refresh, snapshot) {
		const size = el('input', { id: 'volume-size', type: 'number', min: '1', value: snapshot ? snapshot.size : '8' });
		const type = el('select', { id: 'volume-type' }, [['gp3', 'General Purpose SSD (gp3)'], ['gp2', 'General Purpose SSD (gp2)'], ['io1', 'Provisioned IOPS SSD (io1)'],
			['io2', 'Provisioned IOPS SSD (io2)'], ['st1', 'Throughput Optimized HDD (st1)'], ['sc1', 'Cold HDD (sc1)'], ['standard', 'Magnetic (standard)']].map(([v, l]) => el('option', { value: v }, l)));
		const iops = el('input', { id: 'volume-iops', type: 'number', placeholder: 'io1 and io2 need it' });
		const zone = el('select', { id: 'volume-zone' });
		const snap = el('input', { id: 'volume-snapshot', placeholder: 'snap-... (optional)', value: snapshot ? snapshot.id : '' });
		const name = el('input', { id: 'volume-name', placeholder: 'optional' });
		UI.modal('Create volume', [UI.field('Volume type', type, null, 'type'), UI.field('Size (GiB)', size, null, 'size'), UI.field('IOPS', iops, null, 'iops'),
			UI.field('Availability Zone', zone, null, 'zone'), UI.field('Snapshot ID', snap, null, 'snapshot'), UI.field('Tag Name', name, null, 'name')],
		[{ label: 'Create volume', action: guarded(async () => {
			const p = { VolumeType: type.value, AvailabilityZone: zone.value };
			if (size.value)
				p.Size = size.value;
			if (iops.value)
				p.Iops = iops.value;
			if (snap.value.trim())
				p.SnapshotId = snap.value.trim();
			if (name.value) {
				p['TagSpecification.1.ResourceType'] = 'volume';
				p['TagSpecification.1.Tag.1.Key'] = 'Name';
				p['TagSpecification.1.Tag.1.Value'] = name.value;
			}
			const doc = await Api.call('CreateVolume', p);
			UI.flash('success', `Successfully created volume ${X.text(doc, 'volumeId')}.`);
			await refresh();
		}) }]);
		try {
			const doc = await Api.call('DescribeAvailabilityZones', {});
			UI.put(zone, X.items(doc, 'availabilityZoneInfo').map((z) => el('option', { value: X.text(z, 'zoneName') }, X.text(z, 'zoneName'))));
		} catch (e) {
			UI.setError('zone', UI.errorText(e), 'modal');
		}
	}

	async function attach(v, refresh) {
		const inst = el('select', { id: 'attach-instance' });
		const device = el('select', { id: 'attach-device' }, DEVICES.map((d) => el('option', { value: d }, d)));
		UI.modal('Attach volume', [el('p', {}, `Volume ID: ${v.id} (${v.zone})`), UI.field('Instance', inst, `Instances in ${v.zone}`, 'instance'),
			UI.field('Device name', device, 'EBS volumes take /dev/sdf to /dev/sdp.', 'device')],
		[{ label: 'Attach volume', action: guarded(async () => {
			await Api.call('AttachVolume', { VolumeId: v.id, InstanceId: inst.value, Device: device.value });
			UI.flash('success', `Successfully attached volume ${v.id} to ${inst.value}.`);
			await refresh();
		}) }]);
		try {
			const doc = await Api.call('DescribeInstances', { 'Filter.1.Name': 'availability-zone', 'Filter.1.Value.1': v.zone,
				'Filter.2.Name': 'instance-state-name', 'Filter.2.Value.1': 'running', 'Filter.2.Value.2': 'stopped', 'Filter.2.Value.3': 'pending', 'Filter.2.Value.4': 'stopping' });
			for (const r of X.items(doc, 'reservationSet'))
				for (const i of X.items(r, 'instancesSet')) {
					const id = X.text(i, 'instanceId'), name = X.tags(i).Name;
					inst.append(el('option', { value: id }, `${id}${name ? ' (' + name + ')' : ''} · ${X.text(i, 'instanceState/name')}`));
				}
		} catch (e) {
			UI.setError('instance', UI.errorText(e), 'modal');
		}
	}

	function confirm(title, text, label, fn, refresh) {
		UI.modal(title, [el('p', {}, text)], [{ label, kind: 'danger', action: guarded(async () => { await fn(); await refresh(); }) }]);
	}

	function createSnapshot(v, refresh) {
		const desc = el('input', { id: 'snapshot-description' });
		UI.modal('Create snapshot', [el('p', {}, `Volume ID: ${v.id}`), UI.field('Description', desc, null, 'description')],
			[{ label: 'Create snapshot', action: guarded(async () => {
				const p = { VolumeId: v.id };
				if (desc.value)
					p.Description = desc.value;
				const doc = await Api.call('CreateSnapshot', p);
				UI.flash('success', `Successfully created snapshot ${X.text(doc, 'snapshotId')} from volume ${v.id}.`);
				await refresh();
			}) }]);
	}

	const volumes = Resources.listPage({
		id: 'volumes', title: 'Volumes', key: (r) => r.id, empty: 'No volumes',
		load: () => describeVolumes(),
		columns: [
			{ label: 'Name', value: (r) => r.name || '–' }, { label: 'Volume ID', value: (r) => r.id }, { label: 'Type', value: (r) => r.type },
			{ label: 'Size', value: (r) => r.size + ' GiB' }, { label: 'IOPS', value: (r) => r.iops || '–' }, { label: 'Snapshot', value: (r) => r.snapshot || '–' },
			{ label: 'Created', value: (r) => r.created }, { label: 'Availability Zone', value: (r) => r.zone },
			{ label: 'Volume state', value: (r) => badge(r.state) },
			{ label: 'Attached resources', value: (r) => r.instance ? `${r.instance}: ${r.device} (${r.attachState})` : '–' },
		],
		buttons: [
			['Create volume', 'create-volume', (r, refresh) => createVolume(refresh)],
			['Attach volume', 'attach-volume', attach, true],
			['Detach volume', 'detach-volume', (r, refresh) => confirm('Detach volume', `Are you sure that you want to detach volume ${r.id} from ${r.instance || 'its instance'}?`, 'Detach',
				() => Api.call('DetachVolume', { VolumeId: r.id }), refresh), true],
			['Create snapshot', 'create-snapshot', createSnapshot, true],
			['Delete volume', 'delete-volume', (r, refresh) => confirm('Delete volume', `Are you sure that you want to delete volume ${r.id}${r.name ? ' (' + r.name + ')' : ''}?`, 'Delete',
				() => Api.call('DeleteVolume', { VolumeId: r.id }), refresh), true],
		],
	});

	const snapshots = Resources.listPage({
		id: 'snapshots', title: 'Snapshots', key: (r) => r.id, empty: 'No snapshots',
		load: async () => X.items(await Api.call('DescribeSnapshots', { 'Owner.1': 'self' }), 'snapshotSet').map((s) => ({
			id: own(s, 'snapshotId'), name: X.tags(s).Name || '', volume: own(s, 'volumeId'), size: own(s, 'volumeSize'), state: own(s, 'status'),
			progress: own(s, 'progress'), description: own(s, 'description'), started: own(s, 'startTime'),
		})),
		columns: [
			{ label: 'Name', value: (r) => r.name || '–' }, { label: 'Snapshot ID', value: (r) => r.id }, { label: 'Volume size', value: (r) => r.size + ' GiB' },
			{ label: 'Description', value: (r) => r.description || '–', cls: 'wrap' }, { label: 'Snapshot status', value: (r) => badge(r.state) },
			{ label: 'Started', value: (r) => r.started }, { label: 'Progress', value: (r) => r.progress || '–' }, { label: 'Volume', value: (r) => r.volume || '–' },
		],
		buttons: [
			['Create volume from snapshot', 'snapshot-create-volume', (r) => createVolume(() => {}, r), true],
			['Delete snapshot', 'delete-snapshot', (r, refresh) => confirm('Delete snapshot', `Are you sure that you want to delete snapshot ${r.id}?`, 'Delete',
				() => Api.call('DeleteSnapshot', { SnapshotId: r.id }), refresh), true],
		],
	});

	/* The instance details' Storage tab: the root device and the block device mappings, with
	 * each volume's size and type from DescribeVolumes. */
	async function storageTab(box, r) {
		const maps = X.items(r.node, 'blockDeviceMapping').map((m) => ({
			device: own(m, 'deviceName'), id: X.text(m, 'ebs/volumeId'), status: X.text(m, 'ebs/status'),
			attached: X.text(m, 'ebs/attachTime'), deleteOnTermination: X.text(m, 'ebs/deleteOnTermination'),
		}));
		box.append(el('dl', { class: 'kv' }, el('dt', {}, 'Root device name'), el('dd', {}, r.root || '–'), el('dt', {}, 'Root device type'), el('dd', {}, X.text(r.node, 'rootDeviceType') || '–')));
		const sizes = {};
		try {
			for (const v of await describeVolumes({ 'Filter.1.Name': 'attachment.instance-id', 'Filter.1.Value.1': r.id }))
				sizes[v.id] = v;
		} catch (e) {
			box.append(el('p', { class: 'field-error' }, UI.errorText(e)));
		}
		box.append(el('h3', {}, `Block devices (${maps.length})`), UI.table([
			{ label: 'Volume ID', value: (m) => m.id }, { label: 'Device name', value: (m) => m.device },
			{ label: 'Volume size (GiB)', value: (m) => sizes[m.id] ? sizes[m.id].size : '–' }, { label: 'Volume type', value: (m) => sizes[m.id] ? sizes[m.id].type : '–' },
			{ label: 'Attachment status', value: (m) => m.status }, { label: 'Attachment time', value: (m) => m.attached },
			{ label: 'Delete on termination', value: (m) => m.deleteOnTermination === 'true' ? 'Yes' : 'No' },
		], maps, { empty: 'No block devices' }));
	}

	return { volumes, snapshots, storageTab };
})();

Pages.volumes = Ebs.volumes;
Pages.snapshots = Ebs.snapshots;
