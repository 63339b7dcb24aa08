// Runs SQL queries with DuckDB and prints one JSON document: for each query its rows as
// objects (values as DuckDB's JSON forms: BIGINT and DATE as strings, STRUCT as objects).
//
// usage: node query.mjs < queries.json   (queries.json: ["SELECT …", …])
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const queries = JSON.parse(readFileSync(0, 'utf8'));
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const out = [];
for (const q of queries) {
  const reader = await conn.runAndReadAll(q);
  out.push(reader.getRowObjectsJson());
}
process.stdout.write(JSON.stringify(out));
