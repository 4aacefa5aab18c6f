import { describe, expect, it } from 'vitest';
import { shownFunctionName } from './names.js';

const same = (name: string) => shownFunctionName(name, name);

describe('shownFunctionName, as go tool pprof shows a function by default', () => {
  it('drops the parameter list inside a Go generic instantiation', () => {
    expect(
      same(
        'encoding/json.typeEncoder.typeEncoder.OnceValue[go.shape.func(*encoding/json.encodeState, reflect.Value, encoding/json.encOpts)].func3.func4',
      ),
    ).toBe('encoding/json.typeEncoder.typeEncoder.OnceValue[go.shape.func].func3.func4');
  });

  it('keeps Go methods on generic receivers, plain Go names and Java constructors as they are', () => {
    for (const name of [
      'k8s.io/client-go/util/workqueue.(*Typed[go.shape.interface {}]).Get',
      'runtime.gopark',
      'main.(*server).handle',
      'com/example/Foo.<init>(int)',
    ]) {
      expect(same(name)).toBe(name);
    }
  });

  it('simplifies a demangled C++ name: no parameters, no template arguments, nested ones included', () => {
    expect(same('std::vector<std::pair<int, int>>::push_back(std::pair<int, int> const&)')).toBe(
      'std::vector::push_back',
    );
  });

  it('leaves a name with an unmatched close as far as it got', () => {
    expect(same('a::b(x) y) z')).toBe('a::b y) z');
  });

  it('keeps a name the profile already demangled, and falls back to the system name when it has none', () => {
    expect(shownFunctionName('Foo::bar(int)', '_ZN3Foo3barEi')).toBe('Foo::bar(int)');
    expect(shownFunctionName('', 'ns::f(int)')).toBe('ns::f');
  });

  it('leaves an open without its close as it is', () => {
    expect(same('a::b(x)c(d(e)f')).toBe('a::bc(d(e)f');
  });

  it('simplifies a hostile name of a million spans (one pass: a copy per span would not finish)', () => {
    expect(same(`ns::f${'(x)'.repeat(1_000_000)}`)).toBe('ns::f');
  });
});
