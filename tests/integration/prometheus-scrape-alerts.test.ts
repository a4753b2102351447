import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { httpGet } from '../helpers/http.js';
import { fixtureApp, ROOT } from '../helpers/paths.js';
import { parseExposition } from '../helpers/prometheus.js';
import { promtool, requirePrometheus, startPrometheus, type PromAlert } from '../helpers/prometheus-server.js';
import { startPropane } from '../helpers/propane.js';
import { tempDir } from '../helpers/temp.js';
import { pollUntil } from '../helpers/wait.js';

// A real Prometheus (Debian's) scraping a running propane with the shipped
// alert rules (deploy/prometheus/alerts.yml), at 1 s scrape and evaluation
// intervals: every propane_* family arrives without errors, and a slot that
// crash-loops fires PropaneWorkerCrashLoop through the HTTP API.

const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');

t.test('Prometheus scrapes every propane_* family cleanly and fires PropaneWorkerCrashLoop when a slot crash-loops', async (t) => {
  if (!requirePrometheus(t)) return;
  const modeFile = join(tempDir(t), 'boot-mode');
  writeFileSync(modeFile, 'ok');
  const node = await startPropane(t, {
    app: fixtureApp('crashes-at-boot-on-demand.cjs'),
    workers: 2,
    env: { BOOT_MODE_FILE: modeFile },
    config: { status: { port: 0 }, propane: { respawnDelayMs: 100, crashLoop: { maxRestarts: 2, windowSeconds: 60, maxBackoffSeconds: 2, stableSeconds: 60 } } },
  });
  const statusPort = (await node.waitForEvent('supervisor_started')).status_port as number;

  const text = (await httpGet(statusPort, '/metrics')).body;
  const lint = promtool(['check', 'metrics'], text);
  t.equal(lint.code, 0, `promtool check metrics passes on propane's /metrics: ${lint.stdout}${lint.stderr}`);
  const exposition = parseExposition(text);
  const used = [...readFileSync(RULES, 'utf8').matchAll(/\b(propane_[a-z_]+)/g)].map((m) => m[1]!);
  t.same(used.filter((name) => !exposition.type.has(name)), [], 'every metric the alert rules use is exported');

  const prom = await startPrometheus(t, [
    'global: { scrape_interval: 1s, evaluation_interval: 1s }',
    `rule_files: [${JSON.stringify(RULES)}]`,
    'scrape_configs:',
    `  - { job_name: propane, metrics_path: /metrics, static_configs: [{ targets: ['127.0.0.1:${statusPort}'] }] }`,
    '',
  ].join('\n'));
  // Prometheus hands targets to its scrapers on a 5 s throttle: the first scrape comes about 6 s after start.
  const up = await pollUntil(() => prom.query('up{job="propane"}'), (r) => r[0]?.value[1] === '1', 30_000, 200);
  t.equal(up[0]?.value[1], '1', `up == 1; targets: ${up[0]?.value[1] === '1' ? '' : await prom.targets()}`);
  const scraped = await prom.query('scrape_samples_scraped{job="propane"}');
  const kept = await prom.query('scrape_samples_post_metric_relabeling{job="propane"}');
  t.ok(Number(scraped[0]?.value[1]) > 30, `${scraped[0]?.value[1]} samples scraped`);
  t.equal(kept[0]?.value[1], scraped[0]?.value[1], 'no sample was dropped');
  const stored = new Set((await prom.query('group by (__name__) ({job="propane", __name__=~"propane_.+"})')).map((s) => s.metric.__name__));
  const names = [...new Set(exposition.samples.map((s) => s.name))];
  t.same(names.filter((n) => !stored.has(n)), [], `every propane_* series name is stored (${names.length} names)`);
  t.same((await prom.alerts()).filter((a) => a.labels.alertname === 'PropaneWorkerCrashLoop'), [], 'no crash loop yet');

  // Slot 0's next boots fail: its worker is killed, and the respawns throw at load.
  writeFileSync(modeFile, 'crash');
  const slot0 = (await node.status()).workers.find((w) => w.slot === 0)!;
  process.kill(slot0.pid!, 'SIGKILL');
  const loop = await node.waitForEvent('crash_loop', 20_000);
  const loopAt = Date.now();
  const firing = (alerts: PromAlert[]): PromAlert | undefined => alerts.find((a) => a.labels.alertname === 'PropaneWorkerCrashLoop' && a.state === 'firing');
  const alerts = await pollUntil(() => prom.alerts(), (a) => firing(a) !== undefined, 30_000, 100);
  const alert = firing(alerts);
  t.ok(alert, 'PropaneWorkerCrashLoop fires');
  t.comment(`PropaneWorkerCrashLoop firing ${Date.now() - loopAt} ms after the crash_loop log line (slot ${String(loop.slot)})`);
  t.match(alert, {
    labels: { alertname: 'PropaneWorkerCrashLoop', severity: 'critical', job: 'propane', instance: `127.0.0.1:${statusPort}` },
    annotations: { summary: `1 worker slot(s) of 127.0.0.1:${statusPort} crash-looping` },
  });
  t.equal((await httpGet(node.port, '/')).status, 200, 'slot 1 still serves');
});
