import { describe, expect, it } from 'vitest';
import { ExpositionError, parseExposition } from './parse.js';

const text = `# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400",}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# HELP help_escapes Line one\\nwith a \\\\ backslash
# TYPE help_escapes gauge
help_escapes NaN

# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="0.1"} 33444
http_request_duration_seconds_bucket{le="1e0"} 100392
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
`;

describe('Prometheus text 0.0.4', () => {
  const parsed = parseExposition(text, { strict: true });

  it('reads counters with labels, a trailing comma and int-ms timestamps', () => {
    const family = parsed.families.get('http_requests_total')!;
    expect(family.type).toBe('counter');
    expect(family.help).toBe('The total number of HTTP requests.');
    expect(family.samples.map((s) => [s.labels, s.value, s.timestamp])).toEqual([
      [{ method: 'post', code: '200' }, 1027, 1395066363000],
      [{ method: 'post', code: '400' }, 3, 1395066363000],
    ]);
  });

  it('unescapes label values and HELP text', () => {
    expect(parsed.families.get('msdos_file_access_time_seconds')!.samples[0]!.labels).toEqual({
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    expect(parsed.families.get('help_escapes')!.help).toBe('Line one\nwith a \\ backslash');
  });

  it('reads +Inf, NaN, exponents and negative timestamps', () => {
    const weird = parsed.families.get('something_weird')!.samples[0]!;
    expect(weird.value).toBe(Number.POSITIVE_INFINITY);
    expect(weird.timestamp).toBe(-3982045);
    expect(parsed.families.get('help_escapes')!.samples[0]!.value).toBeNaN();
    expect(parsed.families.get('msdos_file_access_time_seconds')!.samples[0]!.value).toBe(1458255915);
    expect(parsed.families.get('metric_without_timestamp_and_labels')!.type).toBe('untyped');
  });

  it('groups histogram and summary samples under their family', () => {
    const histogram = parsed.families.get('http_request_duration_seconds')!;
    expect(histogram.samples.map((s) => s.name)).toEqual([
      ...Array(4).fill('http_request_duration_seconds_bucket'),
      'http_request_duration_seconds_sum',
      'http_request_duration_seconds_count',
    ]);
    expect(parsed.families.get('rpc_duration_seconds')!.samples).toHaveLength(4);
    expect(parsed.format).toBe('text');
  });

  it('reads quoted UTF-8 metric and label names', () => {
    const utf8 = parseExposition('{"my.metric", "the.label"="x", other="y"} 1\n', { strict: true });
    expect(utf8.families.get('my.metric')!.samples[0]!.labels).toEqual({ 'the.label': 'x', other: 'y' });
  });
});

describe('OpenMetrics 1.0', () => {
  const om = `# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE go_goroutines gauge
go_goroutines 69
# TYPE process_cpu_seconds counter
# UNIT process_cpu_seconds seconds
process_cpu_seconds_total 4.20072246e+06
# TYPE foo histogram
foo_bucket{le="0.1"} 8 # {trace_id="KOO5S4vxi0o"} 0.067 1.6e9
foo_bucket{le="+Inf"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789
foo_count 17
foo_sum 324789.3
foo_created 1520430000.123
# TYPE build info
build_info{version="1.0"} 1
# TYPE state stateset
state{state="up"} 1
state{state="down"} 0
# EOF
`;

  it('reads units, _created, exemplars, info and stateset', () => {
    const parsed = parseExposition(om, { strict: true });
    expect(parsed.format).toBe('openmetrics');
    expect(parsed.families.get('acme_http_router_request_seconds')!.unit).toBe('seconds');
    expect(parsed.families.get('process_cpu_seconds')!.samples[0]!.name).toBe('process_cpu_seconds_total');
    const bucket = parsed.families.get('foo')!.samples[0]!;
    expect(bucket.exemplar).toEqual({ labels: { trace_id: 'KOO5S4vxi0o' }, value: 0.067, timestamp: 1.6e9 });
    expect(parsed.families.get('foo')!.samples.map((s) => s.name)).toContain('foo_created');
    expect(parsed.families.get('build')!.type).toBe('info');
    expect(parsed.families.get('state')!.samples).toHaveLength(2);
  });

  it('takes float-second timestamps', () => {
    const parsed = parseExposition('# TYPE a gauge\na 1 1520879607.789\n# EOF\n', { strict: true });
    expect(parsed.families.get('a')!.samples[0]!.timestamp).toBeCloseTo(1520879607789, 3);
  });
});

describe('what the specifications reject (strict: exit with the line; lenient: skip and record)', () => {
  it.each([
    ['a bad metric name', 'my-metric 1\n', 1, /invalid metric name|expected a space/],
    ['an unquoted label value', 'm{a=1} 1\n', 1, /must be quoted/],
    ['an unterminated label value', 'm{a="1} 1\n', 1, /unterminated quoted string/],
    ['a bad escape', 'm{a="\\x"} 1\n', 1, /invalid escape/],
    ['a duplicate label', 'm{a="1",a="2"} 1\n', 1, /duplicate label a/],
    ['a missing value', 'm{a="1"}\n', 1, /expected a space before the value|missing value/],
    ['a bad value', 'm 1.2.3\n', 1, /invalid value "1\.2\.3"/],
    ['a float timestamp in text format', 'm 1 1.5\n', 1, /invalid timestamp "1\.5"/],
    ['an unknown type', '# TYPE m histogramm\nm 1\n', 1, /unknown metric type "histogramm"/],
    ['a second TYPE', '# TYPE m gauge\n# TYPE m gauge\nm 1\n', 2, /second # TYPE for m/],
    ['TYPE after samples', 'm 1\n# TYPE m gauge\n', 2, /after its (first sample|samples)/],
    [
      'split groups',
      '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
      5,
      /samples of a are not in one group/,
    ],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\nh_count 1\n', 2, /has no "le" label/],
    [
      'a histogram without +Inf',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n',
      2,
      /no le="\+Inf" bucket/,
    ],
    ['a negative counter', '# TYPE c counter\nc -1\n', 2, /cannot be negative/],
    ['a duplicate sample', 'm{a="1"} 1\nm{a="1"} 2\n', 2, /duplicate sample/],
    ['OpenMetrics without # EOF', '# TYPE a gauge\na 1\n', 2, /does not end with "# EOF"/],
    ['content after # EOF', '# TYPE a gauge\na 1\n# EOF\nb 1\n', 4, /content after "# EOF"/],
    ['an OM counter without _total', '# TYPE c counter\nc 1\n# EOF\n', 2, /named c_total/],
    ['an empty OM line', '# TYPE a gauge\n\na 1\n# EOF\n', 2, /empty lines/],
  ])('%s', (_case, input, line, message) => {
    const format = /EOF|OM/.test(_case) ? 'openmetrics' : undefined;
    let thrown: unknown;
    try {
      parseExposition(input, { strict: true, ...(format ? { format } : {}) });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ExpositionError);
    expect((thrown as ExpositionError).line).toBe(line);
    expect((thrown as ExpositionError).message).toMatch(message);
  });

  it('lenient mode keeps the good lines and lists the bad ones', () => {
    const parsed = parseExposition('good 1\nbad{a=1} 2\nalso_good{a="x"} NaN\nm 1.2.3\n');
    expect([...parsed.families.keys()]).toEqual(['good', 'also_good']);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 4]);
  });

  it('lenient mode accepts what real exporters send (lowercase inf/nan)', () => {
    const parsed = parseExposition('a inf\nb -Inf\nc nan\n');
    expect(parsed.families.get('a')!.samples[0]!.value).toBe(Number.POSITIVE_INFINITY);
    expect(parsed.problems).toEqual([]);
  });
});
