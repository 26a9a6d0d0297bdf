/**
 * irqkit — the command line (under construction: see the open issue).
 *
 * @packageDocumentation
 */

/** The CLI's program name. */
export const PROGRAM_NAME: string = 'irqkit';
