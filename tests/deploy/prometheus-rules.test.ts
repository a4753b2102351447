import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { promtool, requirePrometheus } from '../helpers/prometheus-server.js';

// deploy/prometheus (docs/deploy.md, "Prometheus") checked by Debian's promtool:
// the scrape config and the rules load, and every alert fires, and stays quiet,
// as alerts.test.yml says.

const DIR = join(ROOT, 'deploy/prometheus');

t.test('promtool accepts the scrape config, with its rule file', async (t) => {
  if (!requirePrometheus(t)) return;
  const r = promtool(['check', 'config', join(DIR, 'prometheus.yml')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /SUCCESS: 1 rule files found/);
});

t.test('promtool accepts the alert rules, lint included', async (t) => {
  if (!requirePrometheus(t)) return;
  const r = promtool(['check', 'rules', '--lint-fatal', join(DIR, 'alerts.yml')]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /SUCCESS: 9 rules found/);
});

t.test('every alert fires and stays quiet as alerts.test.yml says', async (t) => {
  if (!requirePrometheus(t)) return;
  const r = promtool(['test', 'rules', join(DIR, 'alerts.test.yml')]);
  t.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  t.match(r.stdout, /SUCCESS/);
});

t.test('alerts.test.yml has a case for every alert, where it fires and where it does not', async (t) => {
  const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> };
  const tests = parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
  const cases = tests.tests.flatMap((c) => c.alert_rule_test);
  t.same([...new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname))].sort(), alerts, 'each alert fires in a case');
  t.same([...new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname))].sort(), alerts, 'each alert stays quiet in a case');
});
