import { combineRegistries } from '../helpers/isolation.ts';
import { commerceIsolation } from './cases/commerce.ts';
import { identityIsolation } from './cases/identity.ts';
import { ingestionIsolation } from './cases/ingestion.ts';
import { opsIsolation } from './cases/ops.ts';

/**
 * Every operation of the spec, by domain: a new domain adds its cases file here. An operation
 * with no entry fails tests/isolation/isolation.test.ts.
 */
export const isolationRegistry = combineRegistries(opsIsolation, identityIsolation, ingestionIsolation, commerceIsolation);
