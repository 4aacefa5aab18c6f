import { usageError } from '../errors.js';

/** What `viti perf …` adds to vitictl's arguments: the zone choice. */
export interface ZoneArgs {
  /** -z / --az / --availabilityzone */
  zone: string | undefined;
  allZones: boolean;
  /** vitictl's arguments, zone flags removed */
  rest: string[];
}

const ZONE_FLAGS = ['-z', '--az', '--availabilityzone'];

/** Take the zone flags out of the arguments (up to a `--`). */
export function splitZoneArgs(argv: string[]): ZoneArgs {
  let zone: string | undefined;
  let allZones = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--all-zones') {
      allZones = true;
      continue;
    }
    const flag = ZONE_FLAGS.find((name) => arg === name || arg.startsWith(`${name}=`));
    if (flag === undefined) {
      rest.push(arg);
      continue;
    }
    const value = arg.length > flag.length ? arg.slice(flag.length + 1) : argv[++i];
    if (value === undefined || value === '' || value.startsWith('-'))
      throw usageError(
        `${flag} needs the name of an availability zone`,
        'e.g. viti -z oslo-1 perf run smoke',
      );
    zone = value;
  }
  return { zone, allZones, rest };
}

/** Whether vitictl's arguments set a global option themselves (--kubeconfig X or --kubeconfig=X). */
export function hasOption(args: string[], name: string): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((arg) => arg === name || arg.startsWith(`${name}=`));
}

/** The value of an option in the arguments, if given. */
export function optionValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return undefined;
    if (arg === name) return args[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

/** The arguments with an option set to `value` (replaced where given, else appended). */
export function withOption(args: string[], name: string, value: string): string[] {
  const out: string[] = [];
  let replaced = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!replaced && arg === name) {
      out.push(name, value);
      i++;
      replaced = true;
    } else if (!replaced && arg.startsWith(`${name}=`)) {
      out.push(name, value);
      replaced = true;
    } else out.push(arg);
  }
  return replaced ? out : [...out, name, value];
}
