/**
 * `npm run openapi:write -w @meterops/web`: writes the API's OpenAPI document (docs/contracts/openapi.json)
 * and the TypeScript types openapi-typescript generates from it (apps/web/test/api/schema.d.ts), which the
 * integration tests' openapi-fetch client uses. A unit test fails when either committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { renderApiArtifacts, OPENAPI_JSON_PATH, OPENAPI_TYPES_PATH } from '../src/server/api/artifacts';

const { json, types } = await renderApiArtifacts();
writeFileSync(OPENAPI_JSON_PATH, json);
writeFileSync(OPENAPI_TYPES_PATH, types);
console.log(`wrote ${OPENAPI_JSON_PATH}\nwrote ${OPENAPI_TYPES_PATH}`);
process.exit(0);
