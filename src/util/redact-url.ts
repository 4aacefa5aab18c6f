/**
 * A URL as it may be stored or shown: user info and the values of credential-like query parameters
 * replaced by REDACTED. Works on text that does not parse as a URL too (it may still carry a password),
 * and keeps everything else as written.
 */

export const REDACTED = 'REDACTED';

// names, not values: a parameter called e.g. access_token, X-Amz-Signature or apiKey is a secret
const SECRET_PARAM = /token|passw|pwd|secret|key|auth|sig|credential|session|jwt|bearer/i;

export function redactUrl(url: string): string {
  const userInfo = url.replace(/^([a-z][a-z\d+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`);
  const query = userInfo.search(/[?#]/);
  if (query < 0 || userInfo[query] === '#') return userInfo;
  const hash = userInfo.indexOf('#', query);
  const end = hash < 0 ? userInfo.length : hash;
  const params = userInfo
    .slice(query + 1, end)
    .split('&')
    .map((param) => {
      const equals = param.indexOf('=');
      const name = equals < 0 ? param : param.slice(0, equals);
      return equals >= 0 && SECRET_PARAM.test(decodeName(name)) ? `${name}=${REDACTED}` : param;
    });
  return `${userInfo.slice(0, query + 1)}${params.join('&')}${userInfo.slice(end)}`;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}
