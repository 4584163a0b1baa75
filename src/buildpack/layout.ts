/** Where the build puts things in the slug: Spark's folder, and the build's record in it (version, log4j flavour, Java range, checksums). */
export const SPARK_HOME_DIR = 'spark-home';
export const BUILD_INFO = '.spark-in-space.json';
