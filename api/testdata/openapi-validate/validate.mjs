// Validates an OpenAPI document (a file path, or - for standard input) with
// @apidevtools/swagger-parser: against the OpenAPI 3.0 JSON schema and the specification's
// rules (path parameters declared, $refs resolvable, ...). Prints "valid <version>" or the
// errors, and exits 1 when invalid.
import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";

const src = process.argv[2] ?? "-";
const doc = JSON.parse(readFileSync(src === "-" ? 0 : src, "utf8"));
try {
  const api = await SwaggerParser.validate(doc);
  console.log(`valid ${api.openapi} ${Object.keys(api.paths).length} paths`);
} catch (err) {
  console.error(err.message);
  if (err.details) console.error(JSON.stringify(err.details, null, 2));
  process.exit(1);
}
