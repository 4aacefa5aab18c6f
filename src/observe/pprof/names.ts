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

/** Removes every outermost open…close span; a close without its open leaves the rest as it is. */
function removeMatching(name: string, open: string, close: string): string {
  let nesting = 0;
  let first = 0;
  for (let current = 0; current < name.length; current++) {
    const c = name[current];
    if (c === open) {
      nesting++;
      if (nesting === 1) first = current;
    } else if (c === close) {
      nesting--;
      if (nesting < 0) return name;
      if (nesting === 0) {
        name = name.slice(0, first) + name.slice(current + 1);
        current = first - 1;
      }
    }
  }
  return name;
}
