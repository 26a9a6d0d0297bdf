import { createReferenceMachine } from '@irqkit/conformance';
import { type PathPreset, referencePresets } from '@irqkit/sim';

/**
 * Every delivery path the CLI knows, grouped by architecture: the reference plugin's paths
 * now; each architecture's preset module adds its list here when it lands
 * (`...x86Presets()`, `...armPresets()`, `...powerPresets()` from `@irqkit/sim`).
 */
export function builtinPresets(): PathPreset[] {
  return [...referencePresets((o) => createReferenceMachine({ vcpus: o.vcpus, host: o.host }))];
}
