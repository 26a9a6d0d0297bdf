import { bypassScenarios } from './bypass.js';
import { deliveryScenarios } from './delivery.js';
import { forwardingScenarios } from './forwarding.js';
import { intxScenarios } from './host-intx.js';
import { routingScenarios } from './routing.js';
import { smpScenarios } from './smp.js';
import { stateScenarios } from './state.js';
import type { Scenario } from './types.js';

/** Every scenario of the kit, in run order. */
export const scenarios: readonly Scenario[] = [
  ...deliveryScenarios,
  ...routingScenarios,
  ...bypassScenarios,
  ...stateScenarios,
  ...smpScenarios,
  ...intxScenarios,
  ...forwardingScenarios,
];
