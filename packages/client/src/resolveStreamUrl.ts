import { ProgressClientError } from './errors.js'

/**
 * The url to fetch, resolved once before the first request: against `baseUrl`, else against the
 * page's base URL or location (browsers and workers; Node has neither). A url that cannot be resolved, or whose
 * scheme is not http: or https:, would fail on every attempt: it throws a fatal `invalid-url`.
 */
export function resolveStreamUrl(url: string | URL, baseUrl: string | URL | undefined): string {
  let resolved: URL
  try {
    // As fetch does in a page: against document.baseURI (which honours <base href>).
    resolved = new URL(url, baseUrl ?? globalThis.document?.baseURI ?? globalThis.location?.href)
  } catch (cause) {
    throw new ProgressClientError(
      'invalid-url',
      `cannot resolve "${url}": pass an absolute url or the baseUrl option`,
      { cause },
    )
  }
  if (!/^https?:$/.test(resolved.protocol)) {
    throw new ProgressClientError('invalid-url', `"${url}" is not an http: or https: url`)
  }
  return resolved.href
}
