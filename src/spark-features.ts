/** What `SPARK_SLIM` may leave out of Spark: pure data and decisions (the build, the config schema and the launchers read it). */

/**
 * Parts of Spark an app may leave out (`SPARK_SLIM`, a comma list; default `connect-repl`): what
 * each removes, what stops working, and the tools that then refuse naming the var (stubs in
 * bin/; the launchers check the build's record before starting a JVM).
 */
export const SPARK_FEATURES = {
  'connect-repl': {
    what: 'spark-connect-shell (the Scala REPL client of Spark Connect, jars/connect-repl/)',
    files: [/^jars\/connect-repl\//],
    stubs: ['spark-connect-shell'],
  },
  connect: {
    what: 'the Spark Connect server (the connect process type) and spark-connect-shell',
    files: [/^jars\/spark-connect_[^/]*\.jar$/, /^jars\/connect-repl\//],
    stubs: ['spark-connect-shell'],
  },
  hive: {
    what: 'Hive support: the thrift process type (JDBC), spark-sql, beeline and Hive tables (Spark SQL keeps its in-memory catalog)',
    files: [
      /^jars\/hive-(?!storage-api)[^/]*\.jar$/,
      /^jars\/spark-hive(-thriftserver)?_[^/]*\.jar$/,
      /^jars\/datanucleus-[^/]*\.jar$/,
      /^jars\/derby[^/]*\.jar$/,
      /^jars\/libthrift-[^/]*\.jar$/,
      /^jars\/libfb303-[^/]*\.jar$/,
      /^jars\/jdo-api-[^/]*\.jar$/,
    ],
    stubs: ['spark-sql', 'beeline'],
  },
  python: {
    what: 'Python: pyspark and Python jobs (python/)',
    files: [/^python\//],
    stubs: ['pyspark'],
  },
  mllib: {
    what: 'MLlib and GraphX (spark.ml, spark.mllib, graphx and the linear algebra they use)',
    files: [
      /^jars\/spark-mllib(-local)?_[^/]*\.jar$/,
      /^jars\/spark-graphx_[^/]*\.jar$/,
      /^jars\/(breeze|breeze-macros|spire|spire-macros|spire-platform|spire-util|algebra|cats-kernel)_[^/]*\.jar$/,
      /^jars\/(arpack|arpack_combined_all|lapack|blas|JTransforms|JLargeArrays)-[^/]*\.jar$/,
    ],
    stubs: [],
  },
  repl: {
    what: 'the Scala shell: spark-shell (the Scala compiler it embeds)',
    files: [/^jars\/scala-compiler-[^/]*\.jar$/, /^jars\/spark-repl_[^/]*\.jar$/],
    stubs: ['spark-shell'],
  },
} as const satisfies Record<string, { what: string; files: RegExp[]; stubs: string[] }>;

/** Python packages of a left-out feature: their `__init__.py` raises an ImportError naming SPARK_SLIM. */
export const PYTHON_STUBS: Partial<Record<SparkFeature, string[]>> = {
  mllib: ['python/pyspark/ml/__init__.py', 'python/pyspark/mllib/__init__.py'],
};

/** JVM packages of a left-out feature: a submitted jar whose classes use them is refused before its driver starts. */
export const JVM_PACKAGES: Partial<Record<SparkFeature, string[]>> = {
  mllib: ['org/apache/spark/ml/', 'org/apache/spark/mllib/', 'org/apache/spark/graphx/'],
};

export type SparkFeature = keyof typeof SPARK_FEATURES;
export const FEATURE_NAMES = Object.keys(SPARK_FEATURES) as SparkFeature[];
export const DEFAULT_SLIM: SparkFeature[] = ['connect-repl'];

/** Pure: which of the tree's files go for these features. */
export function slimFiles(features: readonly SparkFeature[], files: string[]): string[] {
  const rules = features.flatMap((f) => SPARK_FEATURES[f].files as readonly RegExp[]);
  return files.filter((f) => rules.some((r) => r.test(f)));
}

/** Pure: the message a removed tool (or process type) prints; `feature` may be several parts that each took it. */
export function slimRefusal(tool: string, feature: SparkFeature | SparkFeature[], features: readonly SparkFeature[]): string {
  const took = Array.isArray(feature) ? feature : [feature];
  const rest = features.filter((f) => !took.includes(f));
  const keep = rest.length ? rest.join(',') : 'none';
  return `${tool} is not in this slug: the build left out ${took.map((f) => SPARK_FEATURES[f].what).join('; ')} (SPARK_SLIM=${features.join(',')}). To have it, set SPARK_SLIM=${keep} and build again (heroku config:set SPARK_SLIM=${keep}, then git push).`;
}

/** spark-submit's options that take no value (every other `--x` takes the next argument, unless written `--x=v`). */
export const SUBMIT_FLAGS = ['--verbose', '--supervise', '--help', '--version', '-v', '-h'];

/** Pure: spark-submit's application (the first argument that is neither an option nor an option's value); the launcher's --wait/--follow-logs take none either. */
export function primaryResource(args: string[]): string | undefined {
  const flags = [...SUBMIT_FLAGS, '--wait', '--follow-logs'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-')) {
      if (!a.includes('=') && !flags.includes(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}
