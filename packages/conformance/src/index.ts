/**
 * @irqkit/conformance — arch-neutral conformance scenarios (under construction).
 *
 * @packageDocumentation
 */

/** Package name. */
export const PACKAGE_ROLE: string = 'conformance';
