export { RefController, type RefPin } from './controller.js';
export {
  createReferenceMachine,
  type ReferenceMachine,
  type ReferenceMachineOptions,
} from './machine.js';
export { composeMsi, MSI_BASE, msiTarget, msiVector, validateRefMsi } from './msi.js';
export { FIRST_VECTOR, RefVcpuInterface } from './vcpu-interface.js';
export { VectorAllocator } from './vectors.js';
