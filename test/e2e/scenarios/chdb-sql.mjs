// Runs SQL statements on an embedded ClickHouse data directory and prints the last one's rows as
// JSON lines: `node chdb-sql.mjs <dataDir> <database> <statement>…`. A process of its own, because
// chdb binds one data directory per process (see project.ts).
import { Session } from "chdb";

const [dataDir, database, ...statements] = process.argv.slice(2);
const session = new Session(dataDir);
try {
  session.query(`USE \`${database}\``);
  let output = "";
  for (const statement of statements) output = session.query(statement, "JSONEachRow");
  process.stdout.write(output);
} finally {
  session.close();
}
