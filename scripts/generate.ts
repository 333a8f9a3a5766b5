/** npm run generate: bundles contracts/openapi.yaml into generated/openapi.json and generated/api.ts. */
import { relative } from 'node:path';
import { GENERATED_DIR, ROOT_DIR, writeGenerated } from './lib/contracts.ts';

/** Regenerates generated/ from the contracts. */
export async function generate(): Promise<void> {
  const files = await writeGenerated(GENERATED_DIR);
  for (const file of files) console.log(`wrote ${relative(ROOT_DIR, file)}`);
}

try {
  await generate();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
