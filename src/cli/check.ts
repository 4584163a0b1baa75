/**
 * SPARK_IN_SPACE_CHECK_ONLY=1: a command stops once its command line is parsed and validated
 * (options, arguments, their syntax), before it touches anything. README's drift test
 * (test/integration/readme.test.ts) runs every `--help` example of the local commands this way;
 * a user can too, to check a script's command lines.
 */
export function checkpoint(): void {
  if (process.env.SPARK_IN_SPACE_CHECK_ONLY !== '1') return;
  process.stdout.write('spark-in-space: the command line is valid (SPARK_IN_SPACE_CHECK_ONLY=1: nothing was done)\n');
  process.exit(0);
}
