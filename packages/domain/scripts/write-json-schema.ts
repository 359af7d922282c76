/**
 * Writes docs/contracts/meter-readings.schema.json from the zod contract. Run after changing the contract:
 * `npm run schema:write -w @meterops/domain`. A unit test fails while the committed file is stale.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { readingMessageJsonSchema } from '../src/contract';

const target = fileURLToPath(new URL('../../../docs/contracts/meter-readings.schema.json', import.meta.url));
const options = await resolveConfig(target);
const text = await format(JSON.stringify(readingMessageJsonSchema()), { ...options, filepath: target });
await mkdir(dirname(target), { recursive: true });
await writeFile(target, text);
console.log(`wrote ${target}`);
