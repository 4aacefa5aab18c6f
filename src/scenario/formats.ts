import { isIPv4, isIPv6 } from 'node:net';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
const MAC = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;
const GO_DURATION = /^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Format checks for strings; formats the API server does not know are ignored, as it does. */
export function checkStringFormat(format: string, value: string): boolean {
  switch (format) {
    case 'date-time':
    case 'datetime':
      return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
    case 'date':
      return DATE.test(value) && !Number.isNaN(Date.parse(value));
    case 'byte':
      return BASE64.test(value);
    case 'uuid':
    case 'uuid3':
    case 'uuid4':
    case 'uuid5':
      return UUID.test(value);
    case 'ipv4':
      return isIPv4(value);
    case 'ipv6':
      return isIPv6(value);
    case 'cidr': {
      const [ip, bits, extra] = value.split('/');
      const max = ip && isIPv4(ip) ? 32 : ip && isIPv6(ip) ? 128 : -1;
      return (
        extra === undefined && max > 0 && bits !== undefined && /^\d+$/.test(bits) && Number(bits) <= max
      );
    }
    case 'hostname':
      return HOSTNAME.test(value);
    case 'mac':
      return MAC.test(value);
    case 'duration':
      return GO_DURATION.test(value);
    case 'email':
      return EMAIL.test(value);
    case 'uri':
      return URL.canParse(value);
    default:
      return true;
  }
}
