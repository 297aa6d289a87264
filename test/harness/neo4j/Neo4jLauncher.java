import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs an embedded Neo4j community DBMS with only a Bolt connector, for the
 * integration tests (test/support/neo4jServer.ts compiles and starts it).
 *
 * Usage: Neo4jLauncher <home directory> <bolt port>
 *
 * Prints NEO4J_READY once the default database is available. Shuts down cleanly on
 * SIGTERM, and also when stdin reaches end of file: the test process holds the
 * other end of that pipe, so even a test process killed with SIGKILL takes this
 * JVM with it.
 */
public final class Neo4jLauncher {
    private static final String DATABASE = GraphDatabaseSettings.DEFAULT_DATABASE_NAME;

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Neo4jLauncher <home directory> <bolt port>");
            System.exit(2);
        }
        // Neo4j closes its Log4j contexts itself, from our shutdown hook. Log4j's own hook would be registered
        // lazily during that close, which the JVM refuses while shutting down ("Shutdown in progress").
        System.setProperty("log4j2.shutdownHookEnabled", "false");
        Path home = Path.of(args[0]).toAbsolutePath();
        int boltPort = Integer.parseInt(args[1]);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                // Neo4j's user log (startup, errors) to stdout, which the test harness keeps in a log file.
                .setUserLogProvider(new Log4jLogProvider(System.out))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", boltPort))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", boltPort))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // No usage reports: tests must not phone home.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Test databases are tiny; the defaults size the page cache from the machine's RAM.
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
                // Preallocating each transaction log file writes hundreds of MB of zeros to the temp dir for nothing.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                // Bolt's Netty threads otherwise wait out a 5 s quiet period on shutdown, which every stop() would pay.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                dbms.shutdown();
                System.out.println("NEO4J_STOPPED");
            } catch (RuntimeException failure) {
                failure.printStackTrace();
            }
            System.out.flush();
            stopped.countDown();
        }, "neo4j-launcher-shutdown"));

        GraphDatabaseService database = dbms.database(DATABASE);
        if (!database.isAvailable(TimeUnit.MINUTES.toMillis(2))) {
            System.err.println("NEO4J_FAILED: database '" + DATABASE + "' did not become available");
            System.exit(1);
        }
        exitWhenStdinCloses();
        System.out.println("NEO4J_READY bolt://127.0.0.1:" + boltPort);
        System.out.flush();
        // The DBMS runs on its own threads; keep main alive until the shutdown hook has finished.
        stopped.await();
    }

    private static void exitWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try (InputStream stdin = System.in) {
                byte[] buffer = new byte[256];
                while (stdin.read(buffer) >= 0) {
                    // Anything written is ignored; only end of file matters.
                }
            } catch (IOException closed) {
                // Treat a broken pipe like end of file.
            }
            System.exit(0); // runs the shutdown hook
        }, "neo4j-launcher-stdin-watcher");
        watcher.setDaemon(true);
        watcher.start();
    }
}
