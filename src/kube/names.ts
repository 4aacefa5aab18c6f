const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS label (RFC 1123) of at most `max` characters: lowercase alphanumerics and '-'. */
export function isDnsLabel(value: string, max = 63): boolean {
  return value.length <= max && DNS_LABEL.test(value);
}

/** A DNS subdomain (RFC 1123) of at most 253 characters: DNS labels joined by '.' (most objects' names). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => DNS_LABEL.test(label));
}
