/**
 * The function name go tool pprof shows by default. Its symbolizer demangles every function with the
 * "simplified" options (no parameters, no template arguments); a name no demangler recognizes that
 * looks already demangled gets the same treatment by hand: a Go generic instantiation such as
 * `OnceValue[go.shape.func(*json.encodeState, reflect.Value)].func3` loses its `(…)`.
 * C++ symbols still mangled (`_Z…`) are shown as stored: Go programs do not write them.
 */
export function shownFunctionName(name: string, systemName: string): string {
  if (name !== '' && systemName !== name) return name; // already demangled by whoever wrote the profile
  if (!looksLikeDemangledCpp(systemName)) return systemName;
  return removeMatching(removeMatching(systemName, '(', ')'), '<', '>');
}

function looksLikeDemangledCpp(name: string): boolean {
  if (name.includes('.<')) return false; // a Java name such as class.<init>
  if (name.includes(']).')) return false; // a Go method such as foo.(*Bar[…]).Method
  return /[<>[\]]/.test(name) || name.includes('::');
}

/**
 * Removes every outermost open…close span; a close without its open leaves the rest as it is, an open
 * without its close too. One pass: a hostile name of a million "()" costs a million steps, not a
 * copy of the name per span.
 */
function removeMatching(name: string, open: string, close: string): string {
  let out = '';
  let kept = 0; // name[kept, current) is outside every span and not yet in `out`
  let nesting = 0;
  let first = 0;
  for (let current = 0; current < name.length; current++) {
    const c = name[current];
    if (c === open) {
      if (nesting === 0) {
        out += name.slice(kept, current);
        first = current;
      }
      nesting++;
    } else if (c === close) {
      if (nesting === 0) return out + name.slice(kept);
      nesting--;
      if (nesting === 0) kept = current + 1;
    }
  }
  return nesting > 0 ? out + name.slice(first) : out + name.slice(kept);
}
