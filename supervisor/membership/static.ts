import type { MembershipSnapshot, MembershipSource } from './source.js';

/** `cluster.membership.source: static`: observed nodes are what the operator configured. */
export class StaticMembership implements MembershipSource {
  readonly name = 'static_config' as const;
  readonly #observedNodes: number;

  constructor(observedNodes: number) {
    this.#observedNodes = observedNodes;
  }

  async start(): Promise<void> {}

  setReady(): void {}

  snapshot(): MembershipSnapshot {
    return { observedNodes: this.#observedNodes, state: 'configured', changes: 0 };
  }

  async stop(): Promise<void> {}
}
