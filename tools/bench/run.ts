/**
 * `npm run bench [-- <filter>]`: every benchmark case, grouped, printed as Markdown tables.
 * Each area contributes its cases from its own file.
 */
import { armBenches } from './arm.js';
import { coreBenches } from './core.js';
import { type Bench, runBenches } from './harness.js';
import { powerBenches } from './power.js';
import { simBenches } from './sim.js';
import { x86Benches } from './x86.js';

const all: Bench[] = [...coreBenches, ...powerBenches, ...armBenches, ...simBenches, ...x86Benches];
runBenches(all, process.argv[2]);
