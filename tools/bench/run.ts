/**
 * `npm run bench [-- <filter>]`: every benchmark case, grouped, printed as Markdown tables.
 * Each area contributes its cases from its own file.
 */
import { armBenches } from './arm.js';
import { coreBenches } from './core.js';
import { type Bench, runBenches } from './harness.js';
import { powerBenches } from './power.js';
import { simBenches } from './sim.js';

const all: Bench[] = [...coreBenches, ...powerBenches, ...armBenches, ...simBenches];
runBenches(all, process.argv[2]);
