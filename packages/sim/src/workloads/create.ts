import type { WorkloadSpec } from '../scenario/scenario.js';
import { IpiStorm } from './ipi-storm.js';
import { RequestResponse } from './request-response.js';
import { StorageBursts } from './storage.js';
import { PeriodicTimer } from './timer.js';
import type { Workload } from './workload.js';

/** Builds a fresh workload instance (workloads keep per-run state) from its scenario entry. */
export function createWorkload(spec: WorkloadSpec, vcpus: number): Workload {
  switch (spec.kind) {
    case 'request-response':
      return new RequestResponse(spec);
    case 'storage':
      return new StorageBursts(spec);
    case 'timer':
      return new PeriodicTimer(spec);
    case 'ipi-storm':
      return new IpiStorm(spec, vcpus);
  }
}
