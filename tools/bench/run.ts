/**
 * `npm run bench [-- <filter>]`: every benchmark case, grouped, printed as Markdown tables.
 * Each area contributes its cases from its own file.
 */
import { coreBenches } from './core.js';
import { type Bench, runBenches } from './harness.js';
import { x86Benches } from './x86.js';

const all: Bench[] = [...coreBenches, ...x86Benches];
runBenches(all, process.argv[2]);
