/** NO_COLOR (any non-empty value) and --no-color win; FORCE_COLOR forces; otherwise only on a TTY. */
export function colorWanted(flag: boolean, env: NodeJS.ProcessEnv, tty: boolean | undefined): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return tty === true;
}
