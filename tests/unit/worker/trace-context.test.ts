import t from 'tap';
import { acceptTracestate, isTraceId, parseTraceparent } from '../../../worker/trace-context.js';

/**
 * The traceparent and tracestate cases of the W3C trace-context test suite
 * (github.com/w3c/trace-context, test/test.py; each row names its test), as
 * node:http hands the values over: repeated headers joined with ", ", OWS
 * around the value trimmed. `keeps` is the trace id propane continues, null
 * for a new trace.
 */
const ID = '12345678901234567890123456789012';
const tp = (version: string, traceId: string, parentId: string, flags: string, rest = ''): string => `${version}-${traceId}-${parentId}-${flags}${rest}`;

const TRACEPARENT: Array<{ name: string; value: string | undefined; keeps: string | null; flags?: string }> = [
  { name: 'test_both_traceparent_and_tracestate_missing', value: undefined, keeps: null },
  { name: 'test_traceparent_included_tracestate_missing', value: tp('00', ID, '1234567890123456', '01'), keeps: ID, flags: '01' },
  { name: 'test_traceparent_duplicated (joined by node:http)', value: `${tp('00', '12345678901234567890123456789011', '1234567890123456', '01')}, ${tp('00', ID, '1234567890123456', '01')}`, keeps: null },
  { name: 'test_traceparent_version_0x00: a trailing dot', value: tp('00', ID, '1234567890123456', '01', '.'), keeps: null },
  { name: 'test_traceparent_version_0x00: extra fields', value: tp('00', ID, '1234567890123456', '01', '-what-the-future-will-be-like'), keeps: null },
  { name: 'test_traceparent_version_0xcc', value: tp('cc', ID, '1234567890123456', '01'), keeps: ID, flags: '01' },
  { name: 'test_traceparent_version_0xcc: extra fields after a dash', value: tp('cc', ID, '1234567890123456', '01', '-what-the-future-will-be-like'), keeps: ID, flags: '01' },
  { name: 'test_traceparent_version_0xcc: extra fields after a dot', value: tp('cc', ID, '1234567890123456', '01', '.what-the-future-will-be-like'), keeps: null },
  { name: 'test_traceparent_version_0xff', value: tp('ff', ID, '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_version_illegal_characters (.0)', value: tp('.0', ID, '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_version_illegal_characters (0.)', value: tp('0.', ID, '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_version_too_long (000)', value: tp('000', ID, '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_version_too_long (0000)', value: tp('0000', ID, '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_version_too_short', value: tp('0', ID, '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_trace_id_all_zero', value: tp('00', '0'.repeat(32), '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_trace_id_illegal_characters (leading dot)', value: tp('00', '.2345678901234567890123456789012', '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_trace_id_illegal_characters (trailing dot)', value: tp('00', '1234567890123456789012345678901.', '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_trace_id_too_long', value: tp('00', '123456789012345678901234567890123', '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_trace_id_too_short', value: tp('00', '1234567890123456789012345678901', '1234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_parent_id_all_zero', value: tp('00', ID, '0000000000000000', '01'), keeps: null },
  { name: 'test_traceparent_parent_id_illegal_characters (leading dot)', value: tp('00', ID, '.234567890123456', '01'), keeps: null },
  { name: 'test_traceparent_parent_id_illegal_characters (trailing dot)', value: tp('00', ID, '123456789012345.', '01'), keeps: null },
  { name: 'test_traceparent_parent_id_too_long', value: tp('00', ID, '12345678901234567', '01'), keeps: null },
  { name: 'test_traceparent_parent_id_too_short', value: tp('00', ID, '123456789012345', '01'), keeps: null },
  { name: 'test_traceparent_trace_flags_illegal_characters (.0)', value: tp('00', ID, '1234567890123456', '.0'), keeps: null },
  { name: 'test_traceparent_trace_flags_illegal_characters (0.)', value: tp('00', ID, '1234567890123456', '0.'), keeps: null },
  { name: 'test_traceparent_trace_flags_too_long', value: tp('00', ID, '1234567890123456', '001'), keeps: null },
  { name: 'test_traceparent_trace_flags_too_short', value: tp('00', ID, '1234567890123456', '1'), keeps: null },
  { name: 'test_traceparent_ows_handling (leading space)', value: ` ${tp('00', ID, '1234567890123456', '01')}`, keeps: ID, flags: '01' },
  { name: 'test_traceparent_ows_handling (leading tab)', value: `\t${tp('00', ID, '1234567890123456', '01')}`, keeps: ID, flags: '01' },
  { name: 'test_traceparent_ows_handling (trailing space)', value: `${tp('00', ID, '1234567890123456', '01')} `, keeps: ID, flags: '01' },
  { name: 'test_traceparent_ows_handling (trailing tab)', value: `${tp('00', ID, '1234567890123456', '01')}\t`, keeps: ID, flags: '01' },
  { name: 'test_traceparent_ows_handling (both)', value: `\t ${tp('00', ID, '1234567890123456', '01')} \t`, keeps: ID, flags: '01' },
  { name: 'test_multiple_requests_with_illegal_traceparent', value: tp('00', '0'.repeat(32), '1234567890123456', '01'), keeps: null },
  { name: 'test_propagates_random_flag (level 2)', value: tp('00', ID, '1234567890123456', '02'), keeps: ID, flags: '02' },
  { name: 'flags are kept as sent, unknown bits included', value: tp('00', ID, '1234567890123456', 'ff'), keeps: ID, flags: 'ff' },
  { name: 'upper-case hex is invalid', value: tp('00', ID.toUpperCase().replace(/1/g, 'A'), '1234567890123456', '01'), keeps: null },
  { name: 'upper-case flags are invalid', value: tp('00', ID, '1234567890123456', '0A'), keeps: null },
  { name: 'a 10 KB value is invalid for version 00', value: tp('00', ID, '1234567890123456', '01', `-${'x'.repeat(10_000)}`), keeps: null },
  { name: 'fifty values joined are invalid', value: Array.from({ length: 50 }, () => tp('00', ID, '1234567890123456', '01')).join(', '), keeps: null },
  { name: 'a tab inside is invalid', value: tp('00', ID, '1234567890123456', '01').replace('-', '\t'), keeps: null },
  { name: 'obs-text (as node:http decodes it, latin1) is invalid', value: tp('00', ID, '1234567890123456', '0\u00e9'), keeps: null },
  { name: 'the empty string is invalid', value: '', keeps: null },
];

for (const c of TRACEPARENT) {
  t.test(`traceparent: ${c.name}`, async (t) => {
    const got = parseTraceparent(c.value);
    if (c.keeps === null) t.equal(got, null, 'a new trace starts');
    else t.same(got, { traceId: c.keeps, traceFlags: c.flags }, 'the trace id and flags are kept');
  });
}

const KEY_ALL = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const VALUE_ALL = [[0x20, 0x2b], [0x2d, 0x3c], [0x3e, 0x7e]].map(([a, b]) => Array.from({ length: b! - a! + 1 }, (_, i) => String.fromCharCode(a! + i)).join('')).join('');
const members = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `bar${String(from + i).padStart(2, '0')}=${String(from + i).padStart(2, '0')}`).join(',');

/** `passes` true: passed on unchanged; false: discarded whole. */
const TRACESTATE: Array<{ name: string; value: string | undefined; passes: boolean }> = [
  { name: 'none sent', value: undefined, passes: false },
  { name: 'test_tracestate_included_traceparent_included', value: 'foo=1,bar=2', passes: true },
  { name: 'test_tracestate_empty_header (alone)', value: '', passes: false },
  { name: 'test_tracestate_empty_header (then foo=1, joined)', value: ', foo=1', passes: true },
  { name: 'test_tracestate_empty_header (foo=1, then empty, joined)', value: 'foo=1, ', passes: true },
  { name: 'test_tracestate_multiple_headers_different_keys (joined)', value: 'foo=1,bar=2, rojo=1,congo=2, baz=3', passes: true },
  { name: 'test_tracestate_duplicated_keys (same value)', value: 'foo=1,foo=1', passes: true },
  { name: 'test_tracestate_duplicated_keys (different values)', value: 'foo=1,foo=2', passes: true },
  { name: 'test_tracestate_all_allowed_characters (simple key)', value: `${KEY_ALL}=${VALUE_ALL}`, passes: true },
  { name: 'test_tracestate_all_allowed_characters (vendor key)', value: `${KEY_ALL}@a-z0-9_-*/=${VALUE_ALL}`, passes: true },
  { name: 'test_tracestate_ows_handling (around commas)', value: 'foo=1 \t , \t bar=2, \t baz=3', passes: true },
  { name: 'test_tracestate_ows_handling (tabs and spaces)', value: 'foo=1\t \t,\t \tbar=2,\t \tbaz=3', passes: true },
  { name: 'test_tracestate_ows_handling (leading)', value: ' foo=1', passes: true },
  { name: 'test_tracestate_ows_handling (trailing)', value: 'foo=1\t', passes: true },
  { name: 'test_tracestate_key_illegal_characters (space)', value: 'foo =1', passes: false },
  { name: 'test_tracestate_key_illegal_characters (upper case)', value: 'FOO=1', passes: false },
  { name: 'test_tracestate_key_illegal_characters (dot)', value: 'foo.bar=1', passes: false },
  { name: 'test_tracestate_key_illegal_vendor_format (foo@)', value: 'foo@=1,bar=2', passes: true },
  { name: 'test_tracestate_key_illegal_vendor_format (@foo)', value: '@foo=1,bar=2', passes: false },
  { name: 'test_tracestate_key_illegal_vendor_format (foo@@bar)', value: 'foo@@bar=1,bar=2', passes: true },
  { name: 'test_tracestate_key_illegal_vendor_format (foo@bar@baz)', value: 'foo@bar@baz=1,bar=2', passes: true },
  { name: 'test_tracestate_member_count_limit (32)', value: [members(1, 10), members(11, 20), members(21, 30), members(31, 32)].join(', '), passes: true },
  { name: 'test_tracestate_member_count_limit (33)', value: [members(1, 10), members(11, 20), members(21, 30), members(31, 33)].join(', '), passes: false },
  { name: 'test_tracestate_key_length_limit (256)', value: `foo=1, ${'z'.repeat(256)}=1`, passes: true },
  { name: 'test_tracestate_key_length_limit (257)', value: `foo=1, ${'z'.repeat(257)}=1`, passes: false },
  { name: 'test_tracestate_key_length_limit (vendor, 256)', value: `foo=1, ${'t'.repeat(241)}@${'v'.repeat(14)}=1`, passes: true },
  { name: 'test_tracestate_value_illegal_characters (=)', value: 'foo=bar=baz', passes: false },
  { name: 'test_tracestate_value_illegal_characters (empty value)', value: 'foo=,bar=3', passes: false },
  { name: 'a value of 257 characters', value: `foo=${'v'.repeat(257)}`, passes: false },
  { name: 'a member without =', value: 'foo', passes: false },
  { name: 'a tab inside a value', value: 'foo=a\tb', passes: false },
];

for (const c of TRACESTATE) {
  t.test(`tracestate: ${c.name}`, async (t) => {
    t.equal(acceptTracestate(c.value), c.passes ? c.value : undefined);
  });
}

t.test('X-Trace-Id is adopted only as 32 lower-hex characters, not all zeros', async (t) => {
  t.equal(isTraceId(ID), true);
  for (const bad of [undefined, '', ID.slice(1), `${ID}0`, ID.toUpperCase().replace(/1/g, 'A'), '0'.repeat(32), `${ID.slice(0, 31)}g`, `${ID}, ${ID}`]) t.equal(isTraceId(bad), false, JSON.stringify(bad));
});
