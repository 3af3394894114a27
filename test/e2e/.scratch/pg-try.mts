import { startPostgres } from '/work/main/test/support/postgres.ts';
import postgres from 'postgres';
console.time('start');
const pg = await startPostgres();
console.timeEnd('start');
console.log(pg.url);
const u = await pg.createDatabase();
console.log(u);
const sql = postgres(u, { max: 1 });
console.log(await sql`select current_database(), version()`);
await sql.end();
if (process.argv[2] === 'leak') { console.log('leaving without stop'); process.exit(0); }
await pg.stop();
console.log('stopped');
