package sparkinspace;

import org.apache.spark.SparkConf;
import org.apache.spark.deploy.master.LeaderElectable;
import org.apache.spark.deploy.master.LeaderElectionAgent;
import org.apache.spark.deploy.master.ZooKeeperRecoveryModeFactory;
import org.apache.spark.serializer.Serializer;

/**
 * Spark's ZooKeeper recovery (spark.deploy.recoveryMode=CUSTOM with this factory: the same
 * persistence engine and leader election) plus one thing Spark's master lacks: when its JVM is
 * stopped (SIGTERM: Heroku's daily restart, `heroku ps:restart`, a deploy), it closes its leader
 * latch and its ZooKeeper session before it exits, so the standby leads at once instead of after
 * the session expires. A paused or killed master is unchanged: ZooKeeper ends its session.
 *
 * Compiled at build time against the Spark being installed (src/buildpack/handover.ts) into
 * spark-home/jars; src/render/index.ts names it only when the jar is there.
 */
public class HandoverRecoveryModeFactory extends ZooKeeperRecoveryModeFactory {
  public HandoverRecoveryModeFactory(SparkConf conf, Serializer serializer) {
    super(conf, serializer);
  }

  @Override
  public LeaderElectionAgent createLeaderElectionAgent(LeaderElectable master) {
    final LeaderElectionAgent agent = super.createLeaderElectionAgent(master);
    Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
      @Override
      public void run() {
        try {
          // ZooKeeperLeaderElectionAgent.stop: closes the latch (its node goes) and the client (the session ends)
          agent.stop();
          System.err.println("spark-in-space: this master's ZooKeeper session is closed: a standby leads now");
        } catch (Throwable t) {
          System.err.println("spark-in-space: closing the ZooKeeper session at exit failed (the standby leads when it expires): " + t);
        }
      }
    }, "spark-in-space-handover"));
    return agent;
  }
}
