/**
 * @irqkit/arm — under construction: see the open issue for this package.
 *
 * @packageDocumentation
 */

/** The architecture or role this package implements. */
export const PACKAGE_ROLE: string = 'arm';
