/* The Monitoring tab: CloudWatch's EC2 metrics of one instance (GetMetricStatistics, service
 * "monitoring", Version 2010-08-01, as the aws CLI calls it), drawn as SVG line charts and
 * refreshed every few seconds. A metric without datapoints says "No data". */
'use strict';

const Monitoring = (() => {
	const el = UI.el;
	const REFRESH_MS = 10000, WINDOW_S = 3600, PERIOD_S = 60;
	const metrics = [
		['CPUUtilization', 'CPU utilization (%)', 'Percent'],
		['NetworkIn', 'Network in (bytes)', 'Bytes'],
		['NetworkOut', 'Network out (bytes)', 'Bytes'],
		['DiskReadBytes', 'Disk reads (bytes)', 'Bytes'],
		['DiskWriteBytes', 'Disk writes (bytes)', 'Bytes'],
	];
	let timer = null, generation = 0;

	async function fetchMetric(id, name) {
		const end = new Date(), start = new Date(end.getTime() - WINDOW_S * 1000);
		const doc = await Api.call('GetMetricStatistics', {
			Namespace: 'AWS/EC2', MetricName: name,
			'Dimensions.member.1.Name': 'InstanceId', 'Dimensions.member.1.Value': id,
			StartTime: start.toISOString(), EndTime: end.toISOString(), Period: PERIOD_S,
			'Statistics.member.1': 'Average',
		}, 'monitoring');
		const result = X.find(doc, 'GetMetricStatisticsResult') || doc;
		return X.items(result, 'Datapoints').map((d) => ({ t: Date.parse(X.text(d, 'Timestamp')), v: parseFloat(X.text(d, 'Average')) }))
			.filter((p) => !isNaN(p.t) && !isNaN(p.v)).sort((a, b) => a.t - b.t);
	}

	function human(v, unit) {
		if (unit === 'Percent')
			return v.toFixed(v < 10 ? 1 : 0) + '%';
		const u = ['B', 'KB', 'MB', 'GB', 'TB'];
		let i = 0;
		while (v >= 1024 && i < u.length - 1) {
			v /= 1024;
			i++;
		}
		return (i ? v.toFixed(1) : Math.round(v)) + ' ' + u[i];
	}

	/* A line chart of points over the window, in a 320x160 viewBox that scales with its box. */
	function chart(points, unit, title) {
		const W = 320, H = 160, L = 48, B = 22, T = 8, R = 8;
		const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': title });
		if (!points.length) {
			svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'nodata' }, 'No data'));
			return svg;
		}
		const t1 = Date.now(), t0 = t1 - WINDOW_S * 1000;
		let max = Math.max(...points.map((p) => p.v));
		if (unit === 'Percent')
			max = Math.max(max, 1) > 50 ? 100 : Math.max(10, Math.ceil(max / 10) * 10);
		if (max <= 0)
			max = 1;
		const x = (t) => L + (W - L - R) * (t - t0) / (t1 - t0);
		const y = (v) => T + (H - T - B) * (1 - v / max);
		for (let i = 0; i <= 2; i++) {
			const v = max * i / 2;
			svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid' }),
				el('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, human(v, unit)));
		}
		for (const [t, label] of [[t0, '-60 min'], [t0 + (t1 - t0) / 2, '-30 min'], [t1, 'now']])
			svg.append(el('text', { x: x(t), y: H - 6, 'text-anchor': t === t0 ? 'start' : t === t1 ? 'end' : 'middle', class: 'axis' }, label));
		svg.append(el('polyline', { class: 'series', points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ') }));
		if (points.length === 1)
			svg.append(el('line', { class: 'series dot', x1: x(points[0].t), x2: x(points[0].t) + 0.1, y1: y(points[0].v), y2: y(points[0].v) }));
		return svg;
	}

	/* Draws the charts; resolves to true while the tab is still the one shown. */
	async function draw(grid, id, gen) {
		for (const [name, title, unit] of metrics) {
			let points = [], note = '';
			try {
				points = await fetchMetric(id, name);
			} catch (e) {
				/* The server built with this page serves CloudWatch: an error is shown as one. */
				note = UI.errorText(e);
			}
			if (gen !== generation)
				return;
			const box = grid.querySelector(`[data-metric="${name}"]`);
			const last = points.length ? human(points[points.length - 1].v, unit) : '';
			UI.put(UI.clear(box), el('h4', {}, title, last ? el('span', { class: 'muted' }, ' · ' + last) : null), chart(points, unit, title),
				note ? el('p', { class: 'help' }, note) : null);
			box.setAttribute('data-points', String(points.length));
		}
		return true;
	}

	function show(box, id) {
		stop();
		const gen = ++generation;
		const grid = el('div', { class: 'charts', id: 'charts' }, metrics.map(([name, title]) => el('figure', { class: 'chart', 'data-metric': name }, el('h4', {}, title), el('p', { class: 'muted' }, 'Loading…'))));
		box.append(el('p', { class: 'help' }, `Average per minute over the last hour, from CloudWatch (GetMetricStatistics); refreshed every ${REFRESH_MS / 1000} s.`), grid);
		const tick = async () => {
			const more = await draw(grid, id, gen);
			if (more && gen === generation)
				timer = setTimeout(tick, REFRESH_MS);
		};
		tick();
	}

	function stop() {
		generation++;
		clearTimeout(timer);
	}

	return { show, stop };
})();
