/**
 * The Spark catalog as data: every version `.spark.version` accepts. Facts come from
 * ../shared/reference/spark.md (release names, Java/Scala, log4j, published checksums).
 * Pinned checksums are production data; tests of pin logic use a test catalog (SPARK_CATALOG).
 */
export type Log4j = 1 | 2;

export interface Pin {
  sha256?: string;
  sha512?: string;
}

export interface Release {
  version: string;
  /** `X.Y` */
  line: string;
  scala: string;
  hadoop: string;
  /** lowest and highest Java major the release runs on */
  java: { min: number; max: number };
  log4j: Log4j;
  /** flavour → tarball file name */
  packages: Record<string, string>;
  defaultPackage: string;
  /** flavour → checksums published outside the mirrors */
  pinned: Record<string, Pin>;
  /** only on archive.apache.org (dlcdn keeps the newest releases) */
  archiveOnly: boolean;
  /** set when Apache publishes no binary of this name */
  needsDistUrl?: string;
  /** the REST submission server (6066) is on by default */
  restOnByDefault: boolean;
  /**
   * set when the catalog does not know this release yet: its facts are inherited from a known line
   * (this says which) and its tarball is checked against the `.sha512` the mirrors publish
   */
  inferredFrom?: string;
}

const legacy = (version: string, hadoop: string, scala: string, extra: Partial<Release> = {}): Release => ({
  version,
  line: version.split('.').slice(0, 2).join('.'),
  scala,
  hadoop,
  java: { min: 7, max: 8 },
  log4j: 1,
  packages: {
    [`hadoop${hadoop}`]: `spark-${version}-bin-hadoop${hadoop}.tgz`,
    'without-hadoop': `spark-${version}-bin-without-hadoop.tgz`,
  },
  defaultPackage: `hadoop${hadoop}`,
  pinned: {},
  archiveOnly: true,
  restOnByDefault: false,
  ...extra,
});

interface LineSpec {
  line: string;
  patches: number;
  scala: string;
  hadoop: string;
  java: { min: number; max: number };
  flavours: (version: string) => Record<string, string>;
  restOnByDefault: boolean;
  /** the newest patch at dlcdn; older ones are archive only */
}

const LINES: LineSpec[] = [
  {
    line: '3.5',
    patches: 9,
    scala: '2.12',
    hadoop: '3.3.4',
    java: { min: 8, max: 17 },
    flavours: (v) => ({
      hadoop3: `spark-${v}-bin-hadoop3.tgz`,
      'hadoop3-scala2.13': `spark-${v}-bin-hadoop3-scala2.13.tgz`,
      'without-hadoop': `spark-${v}-bin-without-hadoop.tgz`,
    }),
    restOnByDefault: false,
  },
  ...(
    [
      ['4.0', 5, '3.4.1', false],
      ['4.1', 4, '3.4.2', true],
      ['4.2', 1, '3.5.0', true],
      ['4.3', 0, '3.5.0', true],
    ] as const
  ).map(([line, patches, hadoop, rest]) => ({
    line,
    patches,
    scala: '2.13',
    hadoop,
    java: { min: 17, max: 21 },
    flavours: (v: string) => ({
      hadoop3: `spark-${v}-bin-hadoop3.tgz`,
      'hadoop3-connect': `spark-${v}-bin-hadoop3-connect.tgz`,
      'without-hadoop': `spark-${v}-bin-without-hadoop.tgz`,
    }),
    restOnByDefault: rest,
  })),
];

/** Published checksums of `spark-X-bin-hadoop3.tgz` (spark.md). */
const PINS: Record<string, Pin> = {
  '3.5.0': {
    sha256: 'ac064ec620129b4b9630e180e25ac2b71a8ccd4c6912bf5b5631943b742f0379',
    sha512: '8883c67e0a138069e597f3e7d4edbbd5c3a565d50b28644aad02856a1ec1da7cb92b8f80454ca427118f69459ea326eaa073cf7b1a860c3b796f4b07c2101319',
  },
  '3.5.1': { sha256: '5df15f8027067c060fe47ebd351a1431a61dbecc9c28b8dd29e2c6e1935c23eb' },
  '3.5.3': { sha256: '173651a8a00f5bf0ee27b74d817e0e52eed9daa49fd66d59718994974d1d367d' },
  '4.0.0': { sha256: '2ebac46b59be8b85b0aecc5a479d6de26672265fb7f6570bde2e72859fd87cc4' },
  '4.0.1': { sha256: 'bd5315fa89db737f005971835b94e093c3d2b8581d2411737d281627d6803cc3' },
  '4.1.1': { sha256: 'f5874d9d6a4935f26bc9f761467971d26812a17d94c6493b8eb4b810e7db31ae' },
  '4.1.2': { sha256: 'cf8035f265f9c3307baa2ed863897b5473c812dc1791302ba94798c2aad686f9' },
  '4.2.0': { sha256: 'cc1232a4a23858300ba9c887b7ac5a9128b4a1819cea2fa8ee2bc6ce98ced72b' },
};

function modern(spec: LineSpec): Release[] {
  return Array.from({ length: spec.patches + 1 }, (_, patch) => {
    const version = `${spec.line}.${patch}`;
    const pin = PINS[version];
    return {
      version,
      line: spec.line,
      scala: spec.scala,
      hadoop: spec.hadoop,
      java: spec.java,
      log4j: 2 as const,
      packages: spec.flavours(version),
      defaultPackage: 'hadoop3',
      pinned: (pin ? { hadoop3: pin } : {}) as Record<string, Pin>,
      archiveOnly: patch < spec.patches,
      restOnByDefault: spec.restOnByDefault,
    };
  });
}

export const RELEASES: Release[] = [
  legacy('1.4.1', '2.6', '2.10'),
  legacy('1.6.1', '2.6', '2.10'),
  legacy('1.6.2_scala_2.11', '2.6', '2.11', {
    line: '1.6',
    packages: {},
    defaultPackage: 'custom',
    needsDistUrl: 'it was a custom Scala 2.11 build hosted by the original spark-in-space; Apache publishes no Scala 2.11 binary of 1.6.x.',
  }),
  legacy('2.0.0', '2.7', '2.11'),
  legacy('2.0.2', '2.7', '2.11'),
  legacy('2.1.0', '2.7', '2.11'),
  legacy('2.1.1', '2.7', '2.11'),
  ...LINES.flatMap(modern),
];

export const APACHE_MIRRORS = ['https://dlcdn.apache.org/spark', 'https://archive.apache.org/dist/spark'];
