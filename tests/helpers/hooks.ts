import { closeHarness } from './harness.ts';

// A root-level hook: runs once, after every file of the suite.
after(async () => {
  await closeHarness();
});
