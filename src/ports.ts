/**
 * Every port of the space, in one leaf module (it imports nothing): the process-type table, the
 * space's names, the proxy and the launchers all read them from here.
 */
export const MASTER_PORT = 7077;
export const MASTER_UI_PORT = 8080;
export const WORKER_UI_PORT = 8081;
/** Spark's history server UI (spark.history.ui.port), on the history dyno. */
export const HISTORY_UI_PORT = 18080;
/** The Thrift JDBC/ODBC server's HTTP port (hive.server2.thrift.http.port), on the thrift dyno. */
export const THRIFT_HTTP_PORT = 10001;
/** Spark Connect: TLS (the dyno's nginx) on the private address, the server itself behind it. */
export const CONNECT_PORT = 15002;
export const CONNECT_BACKEND_PORT = 15003;
/** The autoscaler beside each master answers its policy and last decision here (src/autoscale/run.ts; in the proxy's UI ports). */
export const AUTOSCALE_PORT = 8090;
/** Spark's first driver UI port (spark.ui.port): a dyno runs one driver. */
export const DRIVER_UI_PORT = 4040;
/** The metastore service's Thrift port (hive.metastore.port's default). */
export const METASTORE_PORT = 9083;
/** The HTTP API (src/api) on the api dyno's private address: Apache Livy's port. */
export const API_PORT = 8998;
/** ZooKeeper: clients, followers to the leader, leader election. */
export const ZK_CLIENT_PORT = 2181;
export const ZK_PEER_PORT = 2888;
export const ZK_ELECTION_PORT = 3888;
