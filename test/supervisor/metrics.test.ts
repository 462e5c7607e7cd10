import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../supervisor/metrics.js';

describe('metrics registry', () => {
  it('counts a series by its labels, whatever their order, and renders the Prometheus text format', () => {
    const metrics = new MetricsRegistry();
    const checkpoints = metrics.counter('playbooks_test_total', 'A test counter.');
    checkpoints.inc({ store: 'nats' });
    checkpoints.inc({ store: 'nats' }, 2);
    checkpoints.inc({ store: 'file' });
    checkpoints.inc({ a: '1', b: '2' });
    checkpoints.inc({ b: '2', a: '1' });
    checkpoints.inc({ a: 'x"y', b: '2' });
    checkpoints.inc();
    const text = metrics.render();
    expect(text).toContain('# TYPE playbooks_test_total counter');
    expect(text).toContain('playbooks_test_total{store="nats"} 3');
    expect(text).toContain('playbooks_test_total{store="file"} 1');
    expect(text).toContain('playbooks_test_total{a="1",b="2"} 2');
    expect(text).toContain('playbooks_test_total{a="x\\"y",b="2"} 1');
    expect(text).toMatch(/^playbooks_test_total 1$/m);
  });
});
