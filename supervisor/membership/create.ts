import type { Config } from '../../contracts/config.js';
import type { Logger } from '../../shared/log.js';
import type { MembershipSource } from './source.js';
import { StaticMembership } from './static.js';

/** Picks the membership source named by cluster.membership.source. */
export function createMembership(config: Config, _log: Logger): MembershipSource {
  switch (config.cluster.membership.source) {
    case 'static':
      return new StaticMembership(config.cluster.observedNodes);
    case 'etcd':
      throw new Error('cluster.membership.source etcd is not available in this build');
  }
}
