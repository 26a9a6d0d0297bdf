import { createReferenceMachine } from '@irqkit/conformance';
import {
  armPresets,
  type PathPreset,
  powerPresets,
  referencePresets,
  x86Presets,
} from '@irqkit/sim';

/**
 * Every delivery path the CLI knows, grouped by architecture: the reference plugin's paths and
 * POWER's; each remaining architecture's preset module adds its list here when it lands
 * (`...x86Presets()`, `...armPresets()` from `@irqkit/sim`).
 */
export function builtinPresets(): PathPreset[] {
  return [
    ...referencePresets((o) => createReferenceMachine({ vcpus: o.vcpus, host: o.host })),
    ...x86Presets(),
    ...armPresets(),
    ...powerPresets(),
  ];
}
