import type { SecurityProfileName, SecuritySettings } from '../../contracts/config.js';

/**
 * Security profiles are presets that sit under the config file (SPEC section
 * 5): a file, the environment or a flag can still override any single key.
 * docs/security-profiles.md explains each row.
 */
export const SECURITY_PRESETS: Readonly<Record<SecurityProfileName, SecuritySettings>> = {
  balanced: { trustedProxy: false, securityHeaders: false, clusterzRequiresToken: false, statusReadsRequireToken: false },
  strict: { trustedProxy: false, securityHeaders: true, clusterzRequiresToken: true, statusReadsRequireToken: true },
  edge: { trustedProxy: true, securityHeaders: true, clusterzRequiresToken: true, statusReadsRequireToken: false },
};
