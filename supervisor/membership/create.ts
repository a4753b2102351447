import type { Config } from '../../contracts/config.js';
import type { Logger } from '../../shared/log.js';
import type { MembershipSource } from './source.js';
import { EtcdMembership } from './etcd.js';
import { StaticMembership } from './static.js';

/** Picks the membership source named by cluster.membership.source. */
export function createMembership(config: Config, log: Logger): MembershipSource {
  switch (config.cluster.membership.source) {
    case 'static':
      return new StaticMembership(config.cluster.observedNodes);
    case 'etcd':
      return new EtcdMembership(config, log);
  }
}
