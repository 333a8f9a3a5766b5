import assert from 'node:assert/strict';
import { listOperations, loadSpec, type OperationInfo } from '../../src/platform/http/spec.ts';
import { harness } from '../helpers/harness.ts';
import { combineRegistries, coverage, entryProblems, isExemption, principals, runCase, signUpTenant, type IsolationContext } from '../helpers/isolation.ts';
import { isolationRegistry } from './registry.ts';

const ops = listOperations(loadSpec());

describe('isolation: tenant B never reaches tenant A’s data', () => {
  let ctx: IsolationContext;
  before(async () => {
    const h = await harness();
    const a = await signUpTenant(h);
    const b = await signUpTenant(h);
    ctx = { h, a, b };
  });

  describe('the registry', () => {
    it('covers or exempts every operation of the spec', () => {
      const { uncovered } = coverage(ops, isolationRegistry);
      assert.deepEqual(uncovered, [], `operations with no isolation case and no exemption (add them to tests/isolation/cases/): ${uncovered.join(', ')}`);
    });

    it('has no entry for an operation the spec does not have', () => {
      const { stale } = coverage(ops, isolationRegistry);
      assert.deepEqual(stale, [], `stale isolation entries: ${stale.join(', ')}`);
    });

    it('gives every exemption a reason, and every case something it can prove', () => {
      assert.deepEqual(entryProblems(ops, isolationRegistry), []);
    });

    it('catches an operation added without an entry, and an entry left behind', () => {
      const first = ops[0];
      assert.ok(first);
      const added: OperationInfo = { ...first, operationId: 'listWidgets', path: '/widgets' };
      assert.deepEqual(coverage([...ops, added], isolationRegistry), { uncovered: ['listWidgets'], stale: [] });
      const withGhost = combineRegistries(isolationRegistry, { getWidget: { expect: 'not-found', setup: () => Promise.resolve({}) } });
      assert.deepEqual(coverage(ops, withGhost), { uncovered: [], stale: ['getWidget'] });
      assert.throws(() => combineRegistries(isolationRegistry, { getUser: { exempt: 'a second entry for the same operation' } }), /two entries/);
    });
  });

  for (const op of ops) {
    const entry = isolationRegistry[op.operationId];
    if (!entry || isExemption(entry)) continue;
    describe(`${op.operationId} (${op.method.toUpperCase()} ${op.path})`, () => {
      for (const via of principals(op)) {
        it(`${op.operationId} as B's ${via}: ${entry.expect}, A unchanged`, () => runCase(ctx, op, entry, via));
      }
    });
  }
});
