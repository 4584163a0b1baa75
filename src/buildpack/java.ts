/** The build-time Java check: refuse a Spark/Java pair the catalog marks incompatible. */
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Release } from '../catalog/index.js';
import type { Problem } from '../errors.js';

/** `openjdk version "17.0.15"` → 17; `java version "1.8.0_392"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

/** Pure: the major version in a JDK's `release` file (`JAVA_VERSION="17.0.15"`). */
export const releaseFileMajor = (text: string): number | undefined => {
  const m = /^JAVA_VERSION="([^"]+)"/m.exec(text);
  return m ? parseJavaMajor(`version "${m[1]}"`) : undefined;
};

/**
 * The major version from the `release` file of the JDK a `java` belongs to (`<home>/bin/java`,
 * links followed): every JDK since 9 has one, and reading it saves starting a JVM (40 ms a build).
 */
function fromReleaseFile(java: string, env: NodeJS.ProcessEnv): number | undefined {
  try {
    const bin = java.includes('/')
      ? java
      : (env.PATH ?? '')
          .split(':')
          .map((d) => path.join(d || '.', java))
          .find((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
    if (!bin) return undefined;
    const real = realpathSync(bin);
    if (path.basename(path.dirname(real)) !== 'bin') return undefined;
    return releaseFileMajor(readFileSync(path.join(path.dirname(path.dirname(real)), 'release'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The major version of the `java` on PATH (or JAVA_HOME): its JDK's release file, else `java -version`; undefined when there is none. */
export function detectJava(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const candidates = [env.JAVA_HOME ? `${env.JAVA_HOME}/bin/java` : undefined, 'java'].filter(Boolean) as string[];
  for (const java of candidates) {
    const fromFile = fromReleaseFile(java, env);
    if (fromFile) return fromFile;
    const r = spawnSync(java, ['-version'], { encoding: 'utf8', env, timeout: 20_000 });
    if (r.error) continue;
    const major = parseJavaMajor(`${r.stderr}${r.stdout}`);
    if (major) return major;
  }
  return undefined;
}

/** Heroku's way of asking for a Java version, for the fix line. */
export const systemPropertiesLine = (major: number) => `java.runtime.version=${major <= 8 ? `1.${major}` : major}`;

/** The Java to ask for when the current one does not fit `release`: 17 (this project's) when allowed, else the highest it supports. */
export const suggestedJava = (release: Release) => (release.java.min <= 17 && release.java.max >= 17 ? 17 : release.java.max);

export function javaProblem(release: Release, java: number | undefined): Problem | undefined {
  if (java === undefined) return undefined;
  const { min, max } = release.java;
  if (java >= min && java <= max) return undefined;
  const supported = min === max ? `${min}` : `${min}–${max}`;
  return { code: 'java-incompatible', spark: release.version, java, supported, fix: systemPropertiesLine(suggestedJava(release)) };
}
