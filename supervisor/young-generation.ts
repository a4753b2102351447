import { setFlagsFromString } from 'node:v8';

/**
 * The supervisor keeps V8's young generation at its initial size (1 MB
 * semi-spaces). By default it doubles up to 16 MB reserved while modules load
 * and under load, which is 5-7 MB of the supervisor's RSS with 8 workers
 * (budget: under 80 MB; bench/RESULTS.md, "Supervisor RSS"). The supervisor
 * allocates little, so the extra scavenges cost nothing measurable (status
 * p99 unchanged). This must run before anything else is loaded, hence the
 * CLI's first import: `--max-semi-space-size` would only work on the command
 * line, and in execArgv it would reach the workers, whose boot and throughput
 * it slows. V8 documents flags set after start-up as unpredictable: keep this
 * to the one growth factor.
 */
setFlagsFromString('--semi-space-growth-factor=1');
