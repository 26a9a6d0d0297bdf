/**
 * The delivery result every injection primitive returns (spec/core.md CORE-0.1), as
 * `kvm_set_irq` does: a plain number, so the hot path allocates nothing.
 *
 * | value | meaning |
 * |---|---|
 * | `< 0` | ignored: masked, no route, not deliverable, blocked, invalid message |
 * | `0` | coalesced: already pending, or reached no vCPU |
 * | `> 0` | delivered; the number of vCPUs that accepted it |
 */
export type Delivery = number;

/**
 * The values below as a const enum for the package's hot paths: the compiler writes a member
 * in place, where a bundled module constant is a cell load at every use.
 */
export const enum Dlv {
  Ignored = -1,
  Coalesced = 0,
  WouldBlock = -11,
}

/** Ignored (masked, unrouted, blocked by remote IRR, invalid message). */
export const IGNORED: -1 = Dlv.Ignored;
/** Coalesced: the interrupt was already pending, or reached no vCPU. */
export const COALESCED: 0 = Dlv.Coalesced;
/**
 * Returned by a route's atomic-context attempt when it cannot inject without sleeping
 * (KVM's `-EWOULDBLOCK` from `kvm_arch_set_irq_inatomic`); the irqfd then defers (CORE-5.8).
 * Never returned by `setIrq`.
 */
export const WOULD_BLOCK: -11 = Dlv.WouldBlock;

/**
 * Folds one entry's result into the running total of a fan-out (CORE-2.1): start from
 * {@link IGNORED}; ignored results are skipped; otherwise `total = r + max(total, 0)`.
 */
export function combineDelivery(total: Delivery, r: Delivery): Delivery {
  if (r < 0) return total;
  return r + (total > 0 ? total : 0);
}
