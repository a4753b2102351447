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
  t.match(r.stdout, /SUCCESS: 11 rules found/);
});

t.test('every alert fires and stays quiet as alerts.test.yml says', async (t) => {
  if (!requirePrometheus(t)) return;
  const r = promtool(['test', 'rules', join(DIR, 'alerts.test.yml')]);
  t.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  t.match(r.stdout, /SUCCESS/);
});

t.test('alerts.test.yml has a case for every alert, where it fires (at each of its severities) and where it does not', async (t) => {
  const rules = parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; labels: { severity: string } }> }> };
  const tests = parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: Array<{ exp_labels: { severity: string } }> }> }> };
  const sorted = (names: string[]): string[] => [...new Set(names)].sort();
  const rulesList = rules.groups.flatMap((g) => g.rules);
  const cases = tests.tests.flatMap((c) => c.alert_rule_test);
  const fired = cases.flatMap((c) => c.exp_alerts.map((a) => `${c.alertname} ${a.exp_labels.severity}`));
  t.same(sorted(fired), sorted(rulesList.map((r) => `${r.alert} ${r.labels.severity}`)), 'each alert fires in a case, at each severity');
  t.same(sorted(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname)), sorted(rulesList.map((r) => r.alert)), 'each alert stays quiet in a case');
});
