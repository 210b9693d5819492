/* global db -- mongosh provides the connected database */
// mongosh init script (docker-entrypoint-initdb.d): runs once, when the container starts
// with an empty data volume. The services log in as this user, which may only read and
// write the chat database; the root user stays with operators.
const dbName = process.env.MONGO_INITDB_DATABASE;
db.getSiblingDB(dbName).createUser({
  user: process.env.MONGO_APP_USER,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: 'readWrite', db: dbName }],
});
