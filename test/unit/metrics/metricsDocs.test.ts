/**
 * The metrics as documented: the README's table names every metric /metrics serves, with its type,
 * and the Grafana dashboard (docs/grafana-dashboard.json) is valid JSON that queries only metrics
 * that exist, through a data source chosen by a variable. A renamed metric fails here before a
 * user's dashboard goes blank.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ServerMetrics } from '../../../server/src/metrics/ServerMetrics.js';
import { ViewerDirectory } from '../../../server/src/session/ViewerDirectory.js';
import { repoRoot } from '../../helpers/paths.js';

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  gridPos: { x: number; y: number; w: number; h: number };
}

describe('metrics documentation', () => {
  const metrics = new ServerMetrics({ cameras: { all: () => [] }, sessions: new ViewerDirectory() });
  after(() => metrics.close());
  const served = new Map(metrics.registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { type: string }).type]));

  it('the README lists every metric with its type, and no other', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
    const rows = [...section.matchAll(/^\| `(camrtc_[a-z_]+)(?:\{[a-z,]+\})?` \| (\w+) \|/gm)].map((m) => [m[1], m[2]] as const);
    assert.deepEqual(new Map(rows), served);
  });

  it('the Grafana dashboard is valid JSON, asks for its data source, and queries only metrics that exist', () => {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, 'docs/grafana-dashboard.json'), 'utf8')) as {
      templating: { list: { name: string; type: string; query: unknown }[] };
      panels: Panel[];
    };
    const source = dashboard.templating.list.find((v) => v.type === 'datasource');
    assert.deepEqual([source?.name, source?.query], ['datasource', 'prometheus']);
    const queried = new Set<string>();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', panel.title);
      assert.ok(panel.targets && panel.targets.length > 0, `${panel.title} has a query`);
      for (const target of panel.targets) {
        assert.equal(target.datasource?.uid, '${datasource}', panel.title);
        for (const [name] of target.expr.matchAll(/camrtc_[a-z_]+/g)) {
          const base = name.replace(/_(bucket|sum|count)$/, '');
          assert.ok(served.has(base), `${panel.title}: ${name} is not a metric camrtc serves`);
          queried.add(base);
        }
      }
    }
    // The main ones of issue 15 all have a panel.
    for (const name of [
      'camrtc_camera_state', 'camrtc_camera_bitrate_in_bits_per_second', 'camrtc_camera_packets_in_total', 'camrtc_camera_packets_lost_total',
      'camrtc_camera_reconnects_total', 'camrtc_camera_keyframe_interval_seconds', 'camrtc_camera_viewers', 'camrtc_viewers', 'camrtc_bytes_out_total',
      'camrtc_nacks_received_total', 'camrtc_retransmissions_total', 'camrtc_time_to_first_frame_seconds', 'camrtc_time_to_live_picture_seconds',
      'camrtc_eventloop_delay_seconds', 'camrtc_rtsp_errors_total',
    ]) {
      assert.ok(queried.has(name), `no panel shows ${name}`);
    }
  });
});
