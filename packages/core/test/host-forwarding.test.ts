import { describe, expect, it } from 'vitest';
import {
  EventFd,
  Host,
  type IrqArch,
  type RoutingEntry,
  TestScheduler,
  VfioPlatformIrq,
  Vm,
} from '../src/index.js';

function vmWith(arch: IrqArch): Vm {
  const vm = new Vm({ host: new Host({ scheduler: new TestScheduler() }), arch });
  vm.addChip({ id: 0, pins: 8, setLevel: () => 1 });
  const table: RoutingEntry[] = [{ gsi: 0, kind: 'irqchip', chip: 0, pin: 0 }];
  vm.setGsiRouting(table);
  return vm;
}

describe('HOST §1 physical lines (core extensions for arch plugins)', () => {
  it('HOST-1.3: setActiveState(true) holds the line active without running handlers', () => {
    const host = new Host();
    const line = host.irqs.createLine(77);
    let calls = 0;
    const dev = {};
    line.request(
      't',
      () => {
        calls++;
        line.setOutput(dev, false); // the handler services the device
        return true;
      },
      { shared: false },
    );
    line.setActiveState(true);
    line.setOutput(dev, true);
    expect(calls).toBe(0);
    expect(line.active).toBe(true);
    line.setActiveState(false);
    expect(calls).toBe(1); // deactivating re-evaluates the still-high line
  });

  it('HOST-4.1: a VFIO platform IRQ records itself as the owner of its line', () => {
    const host = new Host();
    const line = host.irqs.createLine();
    const irq = new VfioPlatformIrq(host, line, { trigger: new EventFd() });
    expect(line.owner).toBe(irq);
    irq.release();
    expect(line.owner).toBeNull();
  });
});

describe('HOST §4 forwarding with an arch that decides at pairing', () => {
  it("HOST-4.4: with pairing 'arch' the producer does not forward by itself", () => {
    const forwards: number[] = [];
    const vm = vmWith({
      name: 't',
      bypass: { addProducer: () => 0, delProducer: () => {} },
      forwarding: {
        forward: (_l, gsi) => void forwards.push(gsi),
        unforward: () => {},
        pairing: 'arch',
      },
    });
    const fd = new EventFd();
    const irq = new VfioPlatformIrq(vm.host, vm.host.irqs.createLine(), { trigger: fd });
    vm.irqfds.assign({ eventfd: fd, gsi: 0 });
    expect(irq.consumer).not.toBeNull();
    expect(irq.forwarded).toBe(false);
    expect(forwards).toEqual([]);
  });

  it('HOST-4.4: the default pairing still forwards at once', () => {
    const forwards: number[] = [];
    const vm = vmWith({
      name: 't',
      bypass: { addProducer: () => 0, delProducer: () => {} },
      forwarding: { forward: (_l, gsi) => void forwards.push(gsi), unforward: () => {} },
    });
    const fd = new EventFd();
    const irq = new VfioPlatformIrq(vm.host, vm.host.irqs.createLine(), { trigger: fd });
    vm.irqfds.assign({ eventfd: fd, gsi: 0 });
    expect(irq.forwarded).toBe(true);
    expect(forwards).toEqual([0]);
  });
});
