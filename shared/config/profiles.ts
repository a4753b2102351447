import type { SecurityProfileName, SecuritySettings } from '../../contracts/config.js';

/**
 * Security profiles are presets that sit under the config file: a file,
 * the environment or a flag can still override any single key.
 * docs/security-profiles.md has the operator's table; shared/config/risks.ts
 * refuses the combinations that would not work (a profile that needs
 * status.token without one).
 *
 * - balanced: a private network or your own load balancer in front. Nothing
 *   changes the app's responses and the operational endpoints stay open, as
 *   they are in most runtimes; control over TCP still needs the token.
 * - strict: nothing about the node is shown without a credential; responses
 *   get the security headers; no client-supplied proxy header is trusted.
 * - edge: the node faces clients through a reverse proxy. The proxy's
 *   X-Forwarded-For is trusted, responses get the security headers, and
 *   /clusterz on the public port needs the token; the loopback TCP status
 *   listener keeps reads open so a local Prometheus can scrape it.
 */
export const SECURITY_PRESETS: Readonly<Record<SecurityProfileName, SecuritySettings>> = {
  balanced: { trustedProxy: false, securityHeaders: false, clusterzRequiresToken: false, statusReadsRequireToken: false },
  strict: { trustedProxy: false, securityHeaders: true, clusterzRequiresToken: true, statusReadsRequireToken: true },
  edge: { trustedProxy: true, securityHeaders: true, clusterzRequiresToken: true, statusReadsRequireToken: false },
};
