import { describe, expect, it } from 'vitest';
import { ExpositionError, type ParseOptions, parseExposition } from './parse.js';

/** The error strict parsing throws (or fails the test when it accepts). */
function strictError(input: string | Uint8Array, format: 'text' | 'openmetrics'): ExpositionError {
  try {
    parseExposition(input, { strict: true, format });
  } catch (error) {
    if (error instanceof ExpositionError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(typeof input === 'string' ? input : '<bytes>')}`);
}

const om = (body: string) => `${body}# EOF\n`;

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

describe('Prometheus text 0.0.4: the example of the format documentation', () => {
  const parsed = parseExposition(text, { strict: true });

  it('reads counters with labels, a trailing comma and int-ms timestamps, kept as written', () => {
    const family = parsed.families.get('http_requests_total')!;
    expect(family.type).toBe('counter');
    expect(family.help).toBe('The total number of HTTP requests.');
    expect(family.samples.map((s) => [s.labels, s.value, s.timestamp])).toEqual([
      [{ method: 'post', code: '200' }, 1027, '1395066363000'],
      [{ method: 'post', code: '400' }, 3, '1395066363000'],
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
    expect(weird.timestamp).toBe('-3982045');
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
});

describe('Prometheus text 0.0.4: what the format (and expfmt, its reference parser) allows', () => {
  it.each([
    ['quoted UTF-8 metric and label names', '{"my.metric", "the.label"="x", other="y"} 1\n'],
    [
      'blanks and tabs between every token, leading and trailing',
      ' \tm \t{ a = "1" , b="2" , }\t 1 \t 5 \t\n',
    ],
    ['empty lines and lines of blanks', 'a 1\n\n \t\nb 2\n'],
    ['any comment', '# just words\n#\n# HELP\n# HELP lonely\na 1\n'],
    [
      'case-insensitive Inf, Infinity and NaN with signs, as Go reads floats',
      'a inf\nb -Infinity\nc nan\nd +INF\n',
    ],
    ['a TYPE in capitals', '# TYPE a COUNTER\na 1\n'],
    ['a UNIT line, which is only a comment here', '# UNIT a seconds\na 1\n'],
    [
      'a timestamp with a plus sign and the int64 limits',
      'a 1 +5\nb 1 9223372036854775807\nc 1 -9223372036854775808\n',
    ],
    [
      'untyped names sharing a base: x, x_sum, x_count, x again',
      'x{q="a"} 1\nx_sum 2\nx_count 3\nx{q="b"} 4\n',
    ],
    [
      'a histogram of negative bounds with a negative sum',
      '# TYPE h histogram\nh_bucket{le="-1"} 1\nh_bucket{le="+Inf"} 1\nh_sum -3\nh_count 1\n',
    ],
    ['a repeated series with increasing timestamps', 'a 1 1000\na 2 2000\n'],
    ['HELP with an escaped backslash and line feed', '# HELP a one\\\\two\\nthree\na 1\n'],
    ['an empty label set and an empty exposition', 'a{} 1\n'],
    ['NUL in a label value', 'a{x="\u0000"} 1\n'],
  ])('%s', (_case, input) => {
    expect(() => parseExposition(input, { strict: true, format: 'text' })).not.toThrow();
  });

  it('puts x_total under a counter typed x, as OpenMetrics would name it', () => {
    const parsed = parseExposition('# TYPE x counter\nx_total 1\n', { strict: true });
    expect(parsed.families.get('x')!.samples.map((s) => s.name)).toEqual(['x_total']);
  });

  it('reads an empty exposition as no families', () => {
    expect(parseExposition('', { strict: true }).families.size).toBe(0);
  });
});

describe('Prometheus text 0.0.4: what strict mode rejects, with line and column', () => {
  it.each([
    ['a bad metric name', 'my-metric 1\n', 1, 3, /expected a space before the value/],
    ['an unquoted label value', 'm{a=1} 1\n', 1, 5, /label a: the value must be quoted/],
    ['an unterminated label value', 'm{a="1} 1\n', 1, 5, /unterminated quoted label value/],
    ['an escape other than \\\\, \\" and \\n', 'm{a="\\x"} 1\n', 1, 6, /invalid escape "\\x"/],
    ['an unknown escape in HELP', '# HELP m a \\" quote\nm 1\n', 1, 12, /invalid escape "\\"" in HELP/],
    ['a duplicate label', 'm{a="1",a="2"} 1\n', 1, 9, /duplicate label a/],
    ['a missing value', 'm{a="1"}\n', 1, 9, /missing value/],
    ['a bad value', 'm 1.2.3\n', 1, 3, /invalid value "1\.2\.3"/],
    ['a value beyond float64', 'm 1e400\n', 1, 3, /invalid value "1e400"/],
    ['a hex float (expfmt refuses "p")', 'm 0x1p3\n', 1, 3, /invalid value/],
    ['a float timestamp', 'm 1 1.5\n', 1, 5, /invalid timestamp "1\.5"/],
    ['a timestamp beyond int64', 'm 1 9223372036854775808\n', 1, 5, /invalid timestamp/],
    ['text after the timestamp', 'm 1 2 3\n', 1, 7, /unexpected text after the timestamp/],
    ['an exemplar (OpenMetrics only)', 'm 1 # {a="b"} 1\n', 1, 5, /unexpected text after the value/],
    ['an unknown type', '# TYPE m histogramm\nm 1\n', 1, 10, /unknown metric type "histogramm"/],
    ['an invalid name in HELP', '# HELP my-metric x\n', 1, 8, /invalid metric name in # HELP/],
    ['a second TYPE', '# TYPE m gauge\n# TYPE m gauge\nm 1\n', 2, undefined, /second # TYPE for m/],
    ['a second HELP', '# HELP m a\n# HELP m b\nm 1\n', 2, undefined, /second # HELP for m/],
    ['TYPE after samples', 'm 1\n# TYPE m gauge\n', 2, undefined, /after its samples/],
    [
      'split groups',
      '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
      5,
      undefined,
      /samples of a are not in one group/,
    ],
    [
      'a bucket without le',
      '# TYPE h histogram\nh_bucket 1\nh_bucket{le="+Inf"} 1\n',
      2,
      undefined,
      /has no "le" label/,
    ],
    ['le that is not a number', '# TYPE h histogram\nh_bucket{le="x"} 1\n', 2, 10, /le="x" is not a number/],
    [
      'a histogram without +Inf',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n',
      2,
      undefined,
      /no le="\+Inf" bucket/,
    ],
    [
      'buckets out of order',
      '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\n',
      3,
      undefined,
      /increasing order of le/,
    ],
    [
      'buckets that are not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n',
      3,
      undefined,
      /cumulative/,
    ],
    [
      'a count other than the +Inf bucket',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n',
      2,
      undefined,
      /count \(3\) differs/,
    ],
    [
      'summary quantiles out of order',
      '# TYPE s summary\ns{quantile="0.9"} 1\ns{quantile="0.5"} 1\n',
      3,
      undefined,
      /increasing order/,
    ],
    ['a quantile above 1', '# TYPE s summary\ns{quantile="1.5"} 1\n', 2, 3, /from 0 to 1/],
    ['a negative counter', '# TYPE c counter\nc -1\n', 2, 3, /cannot be negative/],
    ['a NaN bucket', '# TYPE h histogram\nh_bucket{le="+Inf"} NaN\n', 2, 21, /cannot be NaN/],
    ['a duplicate sample', 'm{a="1"} 1\nm{a="1"} 2\n', 2, undefined, /duplicate sample/],
    ['an empty label value equal to no label', 'm{a=""} 1\nm 2\n', 2, undefined, /duplicate sample/],
    ['timestamps that go back in one series', 'm 1 2000\nm 2 1000\n', 2, undefined, /does not increase/],
    ['a label reserved for internal use', 'm{__x="1"} 1\n', 1, 3, /reserved/],
    ['a last line without its line feed', 'm 1', 1, undefined, /does not end in a line feed/],
    ['a carriage return', 'm 1\r\n', 1, 4, /carriage return/],
  ])('%s', (_case, input, line, column, message) => {
    const error = strictError(input, 'text');
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message).toMatch(message);
  });
});

const omExample = om(`# TYPE acme_http_router_request_seconds summary
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
`);

describe('OpenMetrics 1.0: what the specification allows', () => {
  it('reads units, _created, exemplars (timestamps as written), info and stateset', () => {
    const parsed = parseExposition(omExample, { strict: true });
    expect(parsed.format).toBe('openmetrics');
    expect(parsed.families.get('acme_http_router_request_seconds')!.unit).toBe('seconds');
    expect(parsed.families.get('process_cpu_seconds')!.samples[0]!.name).toBe('process_cpu_seconds_total');
    const bucket = parsed.families.get('foo')!.samples[0]!;
    expect(bucket.exemplar).toEqual({
      labels: { trace_id: 'KOO5S4vxi0o' },
      value: 0.067,
      timestamp: '1.6e9',
    });
    expect(parsed.families.get('foo')!.samples.map((s) => s.name)).toContain('foo_created');
    expect(parsed.families.get('build')!.type).toBe('info');
    expect(parsed.families.get('state')!.samples).toHaveLength(2);
  });

  it('keeps timestamps exactly, so points below a millisecond apart stay distinct and ordered', () => {
    const parsed = parseExposition(
      om(
        '# TYPE a gauge\na{a="1"} 1 0.0000000000\na{a="1"} 2 0.0000000001\na{a="1"} 3 0.0000000010\na{a="2"} 4 0.0000000000\n',
      ),
      { strict: true },
    );
    expect(parsed.families.get('a')!.samples.map((s) => s.timestamp)).toEqual([
      '0.0000000000',
      '0.0000000001',
      '0.0000000010',
      '0.0000000000',
    ]);
  });

  it.each([
    [
      'the spec: a metric with several points, each with count and sum',
      '# TYPE foo_seconds summary\n# UNIT foo_seconds seconds\nfoo_seconds_count{a="bb"} 0 123\nfoo_seconds_sum{a="bb"} 0 123\nfoo_seconds_count{a="bb"} 0 456\nfoo_seconds_sum{a="bb"} 0 456\nfoo_seconds_count{a="ccc"} 0 123\nfoo_seconds_sum{a="ccc"} 0 123\n',
    ],
    ['the spec: a gauge with no metrics', '# TYPE foo gauge\n'],
    ['the spec: a gauge with two points', '# TYPE foo gauge\nfoo 17.0 123\nfoo 18.0 456\n'],
    [
      'the spec: a counter with created, both with a timestamp',
      '# TYPE foo counter\nfoo_total 17.0 1520879607.789\nfoo_created 1520430000.123 1520879607.789\n',
    ],
    [
      'the spec: a stateset with an entity label',
      '# TYPE foo stateset\nfoo{entity="controller",foo="a"} 1.0\nfoo{entity="controller",foo="bb"} 0.0\nfoo{entity="replica",foo="a"} 1.0\n',
    ],
    [
      'the spec: info with an entity label',
      '# TYPE foo info\nfoo_info{entity="controller",name="pretty name",version="8.2.7"} 1.0\nfoo_info{entity="replica",name="prettier name",version="8.1.9"} 1.0\n',
    ],
    [
      'the spec: summary quantiles in any order',
      '# TYPE foo summary\nfoo{quantile="0.99"} 150.0\nfoo{quantile="0.95"} 123.7\n',
    ],
    [
      'the spec: a histogram with atypical but valid bounds',
      '# TYPE foo histogram\nfoo_bucket{le="0.0"} 0\nfoo_bucket{le="1e-05"} 0\nfoo_bucket{le="0.0001"} 5\nfoo_bucket{le="1e+06"} 15\nfoo_bucket{le="1.1e+23"} 17\nfoo_bucket{le="+Inf"} 17\nfoo_count 17\nfoo_sum 324789.3\nfoo_created 1520430000.123\n',
    ],
    [
      'the spec: exemplars with no labels, a label, a timestamp',
      '# TYPE foo histogram\nfoo_bucket{le="0.01"} 0\nfoo_bucket{le="0.1"} 8 # {} 0.054\nfoo_bucket{le="1"} 11 # {trace_id="KOO5S4vxi0o"} 0.67\nfoo_bucket{le="10"} 17 # {trace_id="oHg5SJYRHA0"} 9.8 1520879607.789\nfoo_bucket{le="+Inf"} 17\n',
    ],
    [
      'the spec: a gaugehistogram with gcount and gsum',
      '# TYPE foo gaugehistogram\nfoo_bucket{le="0.01"} 20.0\nfoo_bucket{le="+Inf"} 42.0\nfoo_gcount 42.0\nfoo_gsum 3289.3\n',
    ],
    [
      'a gaugehistogram of negative bounds with a negative gsum',
      '# TYPE foo gaugehistogram\nfoo_bucket{le="-1"} 1\nfoo_bucket{le="+Inf"} 2\nfoo_gcount 2\nfoo_gsum -3\n',
    ],
    ['an exemplar on a counter total', '# TYPE foo counter\nfoo_total 3 # {trace_id="x"} 1\n'],
    [
      'a backslash before an ordinary character',
      '# HELP foo a \\d digit\n# TYPE foo gauge\nfoo{re="\\d+"} 1\n',
    ],
    [
      'numbers: case-insensitive inf and nan, leading zeros, dots, exponents',
      '# TYPE a gauge\na{x="1"} inf\na{x="2"} -Infinity\na{x="3"} nan\na{x="4"} 0042\na{x="5"} .5\na{x="6"} 5.\na{x="7"} 1E3\n',
    ],
    ['empty HELP and UNIT, which mean none', '# TYPE foo gauge\n# UNIT foo \n# HELP foo \nfoo 1\n'],
    [
      'metadata in any order (TYPE, UNIT, HELP advised)',
      '# HELP foo_seconds h\n# UNIT foo_seconds seconds\n# TYPE foo_seconds gauge\nfoo_seconds 1\n',
    ],
    ['an empty label set', '# TYPE a gauge\na{} 1\n'],
    ['an unknown family started by a sample', 'a 1\nb 2\n'],
    [
      'non-decreasing timestamps across the samples of one point',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1 5\nh_count 1 5\nh_sum 1 5\n',
    ],
    ['a histogram of buckets alone', '# TYPE h histogram\nh_bucket{le="+Inf"} 0\n'],
    ['a valid UTF-8 label value', '# TYPE a gauge\na{x="ünïcödé ✓ 😀"} 1\n'],
  ])('%s', (_case, body) => {
    expect(() => parseExposition(om(body), { strict: true, format: 'openmetrics' })).not.toThrow();
  });
});

describe('OpenMetrics 1.0: what strict mode rejects (the ABNF), with line and column', () => {
  it.each([
    ['an empty line', '# TYPE a gauge\n\na 1\n', 2, 1, /empty lines/],
    ['two spaces before the value', '# TYPE a gauge\na  1\n', 2, 3, /exactly one space/],
    ['a tab before the value', '# TYPE a gauge\na\t1\n', 2, 2, /expected a space before the value/],
    ['a trailing space', '# TYPE a gauge\na 1 \n', 2, 4, /trailing space/],
    ['a leading space', '# TYPE a gauge\n a 1\n', 2, 1, /invalid metric name/],
    ['a space inside the label set', '# TYPE a gauge\na{x="1", y="2"} 1\n', 2, 9, /invalid label name/],
    ['a trailing comma in the label set', '# TYPE a gauge\na{x="1",} 1\n', 2, 9, /trailing comma/],
    ['a quoted metric name (not in OpenMetrics 1.0)', '{"a.b"} 1\n', 1, 2, /invalid label name/],
    ['a comment', '# just a comment\n', 1, 1, /allows only # HELP, # TYPE, # UNIT and # EOF/],
    ['HELP without the space before its text', '# HELP a\n', 1, 9, /needs a space and then the help text/],
    ['HELP with two spaces after the hash', '#  HELP a x\n', 1, 3, /exactly one space/],
    ['a bare double quote in HELP', '# HELP a say "hi"\n', 1, 14, /bare "/],
    ['a backslash ending HELP', '# HELP a text\\\n', 1, 14, /backslash at the end/],
    ['UNIT with a character outside metric names', '# UNIT a_s s-x\n', 1, 12, /invalid unit "s-x"/],
    [
      "a unit that is not the name's suffix",
      '# TYPE foo counter\n# UNIT foo seconds\n',
      2,
      12,
      /must end in _seconds/,
    ],
    [
      'a unit on info',
      '# TYPE foo_seconds info\n# UNIT foo_seconds seconds\n',
      2,
      20,
      /info foo_seconds cannot have a unit/,
    ],
    [
      'a unit on stateset (UNIT first)',
      '# UNIT foo_seconds seconds\n# TYPE foo_seconds stateset\n',
      2,
      undefined,
      /cannot have a unit/,
    ],
    ['the 0.0.4 type untyped', '# TYPE a untyped\n', 1, 10, /unknown metric type "untyped"/],
    ['a type in capitals', '# TYPE a Gauge\n', 1, 10, /unknown metric type "Gauge"/],
    ['a second TYPE', '# TYPE a gauge\n# TYPE a gauge\n', 2, undefined, /second # TYPE/],
    ['a second UNIT', '# TYPE a_s gauge\n# UNIT a_s s\n# UNIT a_s s\n', 3, undefined, /second # UNIT/],
    [
      'metadata after samples',
      '# TYPE a gauge\na 1\n# HELP a late\n',
      3,
      undefined,
      /# HELP for a after its samples/,
    ],
    [
      'metadata repeated after another family',
      '# TYPE a gauge\n# TYPE b gauge\n# HELP a late\n',
      3,
      undefined,
      /metadata for a after/,
    ],
    [
      'interleaved families',
      '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
      5,
      undefined,
      /samples of a are not in one group/,
    ],
    [
      'a family name that clashes with an earlier counter',
      '# TYPE foo counter\nfoo_total 1\n# TYPE foo_created gauge\n',
      3,
      undefined,
      /clashes/,
    ],
    [
      'a counter that clashes with an earlier gauge',
      '# TYPE foo_created gauge\n# TYPE foo counter\n',
      2,
      undefined,
      /clashes/,
    ],
    ['a family name starting with _', '# TYPE _a gauge\n', 1, undefined, /reserved/],
    ['a label name starting with _', '# TYPE a gauge\na{_x="1"} 1\n', 2, 3, /reserved/],
    ['a counter sample without _total', '# TYPE c counter\nc 1\n', 2, undefined, /named c_total/],
    ['an info sample without _info', '# TYPE i info\ni 1\n', 2, undefined, /named i_info/],
    ['NaN in a counter', '# TYPE c counter\nc_total NaN\n', 2, 9, /cannot be NaN/],
    ['a negative counter', '# TYPE c counter\nc_total -1\n', 2, 9, /cannot be negative/],
    [
      'a negative histogram sum',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum -1\n',
      4,
      7,
      /cannot be negative/,
    ],
    ['NaN in a summary count', '# TYPE s summary\ns_count NaN\n', 2, 9, /cannot be NaN/],
    ['a fractional bucket', '# TYPE h histogram\nh_bucket{le="+Inf"} 1.5\n', 2, 21, /whole number/],
    [
      'a fractional gcount',
      '# TYPE h gaugehistogram\nh_bucket{le="+Inf"} 1\nh_gcount 1.5\nh_gsum 1\n',
      3,
      10,
      /whole number/,
    ],
    [
      'NaN in a gsum',
      '# TYPE h gaugehistogram\nh_bucket{le="+Inf"} 1\nh_gcount 1\nh_gsum NaN\n',
      4,
      8,
      /cannot be NaN/,
    ],
    ['a negative quantile value', '# TYPE s summary\ns{quantile="0.5"} -1\n', 2, 19, /cannot be negative/],
    ['a quantile label that is not a number', '# TYPE s summary\ns{quantile="x"} 1\n', 2, 3, /from 0 to 1/],
    [
      'a quantile label on _sum',
      '# TYPE s summary\ns_sum{quantile="0.5"} 1\n',
      2,
      7,
      /must not have a "quantile"/,
    ],
    ['a quantile sample without quantile', '# TYPE s summary\ns 1\n', 2, undefined, /no "quantile" label/],
    [
      'le on _count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count{le="1"} 1\n',
      3,
      9,
      /must not have an "le"/,
    ],
    ['le="Inf" instead of "+Inf"', '# TYPE h histogram\nh_bucket{le="Inf"} 1\n', 2, 10, /le="\+Inf"/],
    ['le="NaN"', '# TYPE h histogram\nh_bucket{le="NaN"} 1\n', 2, 10, /not a number/],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\n', 2, undefined, /no le="\+Inf"/],
    [
      'a histogram of _count and _sum alone',
      '# TYPE h histogram\nh_count 1\nh_sum 1\n',
      2,
      undefined,
      /no le="\+Inf"/,
    ],
    [
      'buckets out of order',
      '# TYPE h histogram\nh_bucket{le="2"} 0\nh_bucket{le="1"} 0\nh_bucket{le="+Inf"} 0\n',
      3,
      undefined,
      /increasing order/,
    ],
    [
      'a bound twice ("1" and "1.0")',
      '# TYPE h histogram\nh_bucket{le="1"} 0\nh_bucket{le="1.0"} 0\nh_bucket{le="+Inf"} 0\n',
      3,
      undefined,
      /each bound once/,
    ],
    [
      'non-cumulative buckets',
      '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 4\n',
      3,
      undefined,
      /cumulative/,
    ],
    [
      'a count other than +Inf',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 4\nh_count 5\nh_sum 1\n',
      2,
      undefined,
      /count \(5\) differs/,
    ],
    [
      '_sum without _count',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 4\nh_sum 1\n',
      2,
      undefined,
      /_sum without _count/,
    ],
    [
      '_count without _sum',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 4\nh_count 4\n',
      2,
      undefined,
      /_count without _sum/,
    ],
    [
      '_gsum without _gcount',
      '# TYPE h gaugehistogram\nh_bucket{le="+Inf"} 4\nh_gsum 1\n',
      2,
      undefined,
      /_gsum without _gcount/,
    ],
    [
      'a sum with negative buckets',
      '# TYPE h histogram\nh_bucket{le="-1"} 0\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n',
      2,
      undefined,
      /negative buckets cannot have a _sum/,
    ],
    [
      'a negative gsum without negative buckets',
      '# TYPE h gaugehistogram\nh_bucket{le="+Inf"} 1\nh_gcount 1\nh_gsum -1\n',
      2,
      undefined,
      /negative _gsum/,
    ],
    [
      'an exemplar outside its bucket',
      '# TYPE h histogram\nh_bucket{le="1"} 1 # {} 2\nh_bucket{le="+Inf"} 1\n',
      2,
      undefined,
      /outside the bucket/,
    ],
    ['an exemplar on a gauge', '# TYPE g gauge\ng 1 # {} 1\n', 2, 5, /exemplars belong only/],
    ['an exemplar on info', '# TYPE i info\ni_info 1 # {} 1\n', 2, 10, /exemplars belong only/],
    ['an exemplar on stateset', '# TYPE s stateset\ns{s="a"} 1 # {} 1\n', 2, 12, /exemplars belong only/],
    [
      'an exemplar on _sum',
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1 # {} 1\n',
      4,
      9,
      /exemplars belong only/,
    ],
    [
      'an exemplar on _created',
      '# TYPE c counter\nc_total 1\nc_created 1 # {} 1\n',
      3,
      13,
      /exemplars belong only/,
    ],
    [
      'exemplar labels over 128 code points',
      `# TYPE c counter\nc_total 1 # {a="${'ü'.repeat(128)}"} 1\n`,
      2,
      11,
      /longer than 128/,
    ],
    ['two spaces before an exemplar', '# TYPE c counter\nc_total 1  # {} 1\n', 2, 11, /exactly one space/],
    [
      'no space after the exemplar hash',
      '# TYPE c counter\nc_total 1 #{} 1\n',
      2,
      12,
      /expected a space before the exemplar labels/,
    ],
    ['an exemplar without a value', '# TYPE c counter\nc_total 1 # {}\n', 2, 15, /missing exemplar value/],
    [
      'an infinite exemplar timestamp',
      '# TYPE c counter\nc_total 1 # {} 1 +Inf\n',
      2,
      18,
      /invalid exemplar timestamp/,
    ],
    [
      'a NaN exemplar timestamp',
      '# TYPE c counter\nc_total 1 # {} 1 NaN\n',
      2,
      18,
      /invalid exemplar timestamp/,
    ],
    ['an infinite timestamp', '# TYPE a gauge\na 1 Inf\n', 2, 5, /invalid timestamp/],
    ['a timestamp beyond float64', '# TYPE a gauge\na 1 1e400\n', 2, 5, /invalid timestamp/],
    [
      'a stateset sample without the state label',
      '# TYPE s stateset\ns{x="a"} 1\n',
      2,
      undefined,
      /needs a label s=/,
    ],
    ['a stateset value other than 0 or 1', '# TYPE s stateset\ns{s="a"} 2\n', 2, 10, /0 or 1/],
    ['an info value other than 1', '# TYPE i info\ni_info{v="1"} 0\n', 2, 15, /always 1/],
    ['a duplicate sample', '# TYPE a gauge\na 1\na 2\n', 3, undefined, /duplicate sample/],
    ['equal timestamps in one series', '# TYPE a gauge\na 1 5\na 2 5\n', 3, undefined, /does not increase/],
    [
      'interleaved metrics',
      '# TYPE a gauge\na{x="1"} 1 1\na{x="2"} 1 1\na{x="1"} 1 2\n',
      4,
      undefined,
      /interleaved/,
    ],
    [
      'interleaved points',
      '# TYPE s summary\ns_count{a="b"} 0 123\ns_count{a="b"} 0 456\ns_sum{a="b"} 0 123\n',
      4,
      undefined,
      /goes back/,
    ],
    ['a mix of timestamps in one metric', '# TYPE a gauge\na 1 5\na 2\n', 3, undefined, /all or none/],
    ['content after # EOF', '# TYPE a gauge\na 1\n# EOF\nb 1\n', 4, undefined, /content after "# EOF"/],
    ['no # EOF', '# TYPE a gauge\na 1\n', 2, undefined, /does not end with "# EOF"/],
    ['a carriage return', '# TYPE a gauge\r\n', 1, 15, /carriage return/],
  ])('%s', (_case, input, line, column, message) => {
    const full = /# EOF/.test(input) || /no # EOF/.test(_case) ? input : om(input);
    const error = strictError(full, 'openmetrics');
    expect([error.line, error.column]).toEqual([line, column]);
    expect(error.message).toMatch(message);
  });

  it('rejects a byte order mark at 1:1', () => {
    const error = strictError(Buffer.from(`\ufeff${om('a 1\n')}`), 'openmetrics');
    expect([error.line, error.column, error.message]).toEqual([
      1,
      1,
      expect.stringMatching(/byte order mark/),
    ]);
  });
});

describe('UTF-8: the input is bytes', () => {
  const bad = Buffer.concat([
    Buffer.from('# TYPE a gauge\na{x="ok"} 1\na{x="b'),
    Buffer.from([0xff]),
    Buffer.from('"} 1\n# EOF\n'),
  ]);

  it('strict mode rejects invalid UTF-8 at its line and column', () => {
    const error = strictError(bad, 'openmetrics');
    expect([error.line, error.column, error.message]).toEqual([3, 7, 'invalid UTF-8']);
  });

  it.each([
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('rejects %s', (_case, bytes) => {
    const input = Buffer.concat([Buffer.from('a{x="'), Buffer.from(bytes), Buffer.from('"} 1\n')]);
    expect(strictError(input, 'text').message).toBe('invalid UTF-8');
  });

  it('lenient mode skips the line and keeps the others', () => {
    const parsed = parseExposition(bad);
    expect(parsed.families.get('a')!.samples).toHaveLength(1);
    expect(parsed.problems).toEqual([{ line: 3, column: 7, message: 'invalid UTF-8' }]);
  });
});

describe('bytes are parsed in pieces of whole lines', () => {
  /** ~600 KB: lines of every kind, a 40 KB label value across a piece boundary, blank lines, CRLF */
  const big = (eof: boolean) => {
    const lines = ['# HELP g a gauge', '# TYPE g gauge'];
    for (let i = 0; i < 6000; i++) {
      lines.push(`g{i="${i}",note="é ✓ \\"q\\" \\n"} ${i % 7 === 0 ? 'NaN' : i}`);
      if (i % 500 === 0) lines.push('', `# HELP h${i} help ${'x'.repeat(i)}`);
      if (i === 3000) lines.push(`g{i="long",v="${'y'.repeat(40_000)}"} 1`);
    }
    lines.push('g{i="crlf"} 2\r');
    return `${lines.join('\n')}\n${eof ? '# EOF\n' : ''}`;
  };
  const parsed = (input: string | Uint8Array, options: ParseOptions) => {
    const { format, families, problems } = parseExposition(input, options);
    return { format, families: [...families.values()], problems };
  };

  it.each([false, true])('gives what the text parsed whole gives (OpenMetrics: %s)', (eof) => {
    const body = big(eof);
    for (const options of [{}, { strict: false, format: 'text' as const }]) {
      expect(parsed(Buffer.from(body), options)).toEqual(parsed(body, options));
    }
    expect(parseExposition(Buffer.from(body)).format).toBe(eof ? 'openmetrics' : 'text');
  });

  it('counts lines across pieces: invalid UTF-8 far into the input is reported at its line', () => {
    const head = big(false);
    const input = Buffer.concat([
      Buffer.from(head),
      Buffer.from('bad{x="'),
      Buffer.from([0xff]),
      Buffer.from('"} 1\n'),
    ]);
    const line = head.split('\n').length;
    expect(parseExposition(input).problems).toEqual([{ line, column: 8, message: 'invalid UTF-8' }]);
    const error = strictError(input, 'text');
    expect([error.line, error.column]).toEqual([line, 8]);
  });

  it('reports invalid UTF-8 before an earlier syntax error in strict mode, as a whole decode would', () => {
    const input = Buffer.concat([
      Buffer.from(`bad line\n${big(false)}x{a="`),
      Buffer.from([0xff]),
      Buffer.from('"} 1\n'),
    ]);
    expect(strictError(input, 'text').message).toBe('invalid UTF-8');
  });

  it('finds "# EOF" after blank lines longer than the tail it reads first', () => {
    const body = `${big(false)}# EOF\n${' \n'.repeat(2000)}`;
    expect(parseExposition(Buffer.from(body)).format).toBe('openmetrics');
    expect(parseExposition(Buffer.from(`${big(false)}# EOFX\n`)).format).toBe('text');
  });
});

describe('limits where input can grow', () => {
  const small: ParseOptions['limits'] = {
    maxLineLength: 100,
    maxLabelNameLength: 5,
    maxLabelValueLength: 10,
    maxLabels: 2,
    maxSamples: 2,
    maxInputBytes: 1000,
  };

  it.each([
    ['a line over the length limit', `a{x="${'v'.repeat(200)}"} 1\n`, /line longer than 100 characters/],
    ['a label name over its limit', 'a{abcdef="1"} 1\n', /label name longer than 5/],
    ['a label value over its limit', `a{x="${'v'.repeat(11)}"} 1\n`, /label value longer than 10/],
    ['too many labels', 'a{x="1",y="2",z="3"} 1\n', /more than 2 labels/],
    ['too many samples', 'a 1\nb 1\nc 1\n', /more than 2 samples/],
    ['too large an exposition', `${'a 1\n'.repeat(300)}`, /larger than 1000 bytes/],
  ])('strict mode rejects %s', (_case, input, message) => {
    expect(() => parseExposition(input, { strict: true, limits: small })).toThrow(message);
  });

  it('lenient mode skips an over-long line and stops at the sample cap, saying so', () => {
    const parsed = parseExposition(`a{x="${'v'.repeat(200)}"} 1\nb 1\nc 1\nd 1\n`, { limits: small });
    expect([...parsed.families.keys()]).toEqual(['b', 'c']);
    expect(parsed.problems.map((p) => p.message)).toEqual([
      'line longer than 100 characters',
      'more than 2 samples',
    ]);
  });

  it('rejects one 50 MB label value in well under a second', () => {
    const input = Buffer.from(`big{a="${'x'.repeat(50 * 1024 * 1024)}"} 1\n`);
    const started = performance.now();
    expect(() => parseExposition(input, { strict: true })).toThrow(/line longer than 1048576 characters/);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('lenient mode: what Prometheus scrapes', () => {
  it('keeps the good lines and lists the bad ones', () => {
    const parsed = parseExposition('good 1\nbad{a=1} 2\nalso_good{a="x"} NaN\nm 1.2.3\n');
    expect([...parsed.families.keys()]).toEqual(['good', 'also_good']);
    expect(parsed.problems.map((p) => p.line)).toEqual([2, 4]);
  });

  it('accepts what strict mode refuses but the scraper takes: unknown escapes, CRLF, a BOM, no final newline', () => {
    const parsed = parseExposition('\ufeffa{x="\\d"} 1\r\nb inf\r\nc 2');
    expect(parsed.problems).toEqual([]);
    expect(parsed.families.get('a')!.samples[0]!.labels.x).toBe('\\d');
    expect(parsed.families.get('c')!.samples[0]!.value).toBe(2);
  });

  it('merges interleaved OpenMetrics families instead of failing', () => {
    const parsed = parseExposition(
      '# TYPE h histogram\nh_bucket{le="+Inf"} 1\n# TYPE g gauge\ng 1\nh_count 1\n# EOF\n',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.families.get('h')!.samples.map((s) => s.name)).toEqual(['h_bucket', 'h_count']);
  });

  it('lists at most 1000 problems and counts the rest', () => {
    const parsed = parseExposition('bad{\n'.repeat(1500));
    expect(parsed.problems).toHaveLength(1001);
    expect(parsed.problems[1000]!.message).toBe('500 more problems not listed');
  });

  it('keeps a label named __proto__ as data', () => {
    const labels = parseExposition('a{__proto__="x"} 1\n').families.get('a')!.samples[0]!.labels;
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });
});
